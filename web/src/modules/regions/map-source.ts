import { ApiError } from '@/api/errors'
import { regionsApi, type Region, type RegionFeature, type RegionLevel } from './api'

export interface MapView {
  /** Code of the region whose subdivisions are drawn. */
  key: string
  features: RegionFeature[]
  /** Codes to emphasise: the selected village's grids or the selected grid. */
  highlight: string[]
}

type Api = Pick<typeof regionsApi, 'geojson'>

/**
 * What the map shows for a selected region: a county its townships, a township its grids (the
 * grids hang under villages, which have no boundary of their own), a village or grid the grids
 * of its township with its own lit. Answers are cached per region for the page's life.
 */
export function createMapSource(source: Api = regionsApi) {
  const children = new Map<string, Promise<RegionFeature[]>>()

  /** Boundaries below the region (its own outline left out): its direct subdivisions, or with
   * ``grids`` every grid beneath it; [] when none. */
  function childFeatures(code: string, grids = false): Promise<RegionFeature[]> {
    const key = grids ? `${code}+grids` : code
    let found = children.get(key)
    if (!found) {
      found = source.geojson(code, grids).then(
        (collection) =>
          collection.features.filter((f) => f.properties.role === (grids ? 'grid' : 'child') && f.geometry),
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return []
          children.delete(key) // let a later call retry a transient failure
          throw err
        },
      )
      children.set(key, found)
    }
    return found
  }

  /** A township's grids hang under villages, which have no boundary: ask for them at once. */
  function subdivisions(code: string, level: RegionLevel): Promise<RegionFeature[]> {
    return childFeatures(code, level === 'town')
  }

  async function mapFor(region: Region): Promise<MapView | null> {
    if (region.level === 'village' || region.level === 'grid') {
      const town = region.code.slice(0, 9)
      const features = await subdivisions(town, 'town')
      const highlight = features.map((f) => String(f.properties.code ?? '')).filter((c) => c.startsWith(region.code))
      return features.length ? { key: town, features, highlight } : null
    }
    const own = await subdivisions(region.code, region.level)
    if (own.length) return { key: region.code, features: own, highlight: [] }
    if (!region.parent_code) return null
    const parent = await childFeatures(region.parent_code)
    return parent.length ? { key: region.parent_code, features: parent, highlight: [region.code] } : null
  }

  return { mapFor, childFeatures }
}

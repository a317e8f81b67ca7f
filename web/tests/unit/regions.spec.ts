import { describe, expect, it } from 'vitest'
import { pathToOpen } from '@/modules/regions/api'
import { createMapSource } from '@/modules/regions/map-source'
import { ApiError } from '@/api/errors'
import type { Region, RegionFeature, RegionFeatureCollection } from '@/modules/regions/api'

describe('pathToOpen', () => {
  it('opens the root and every level between it and the code', () => {
    expect(pathToOpen('620722101001001', '620722')).toEqual(['620722', '620722101', '620722101001'])
    expect(pathToOpen('620722104', '620722')).toEqual(['620722'])
    expect(pathToOpen('620722', '620722')).toEqual([])
  })
  it('opens nothing outside the root', () => {
    expect(pathToOpen('510903001', '620722')).toEqual([])
  })
})

function feature(code: string, role: 'self' | 'child' | 'grid' = 'child'): RegionFeature {
  return { type: 'Feature', id: code, properties: { code, name: code, role }, geometry: { type: 'Polygon', coordinates: [] } }
}

function region(code: string, level: Region['level'], hasChildren = true): Region {
  return { code, name: code, level, parent_code: code.length > 6 ? code.slice(0, code.length === 15 ? 12 : code.length - 3) : '6207', has_children: hasChildren, properties: {} }
}

const collections: Record<string, RegionFeature[]> = {
  '620722': [feature('620722', 'self'), feature('620722101'), feature('620722102')],
  '620722101': [feature('620722101', 'self')], // a township: villages have no boundaries
  // with grids=true the township answers its outline and the grids of all its villages
  '620722101+grids': [feature('620722101', 'self'), feature('620722101001001', 'grid'), feature('620722101002001', 'grid')],
}

const asked: string[] = []
const fake = {
  geojson: async (code: string, grids = false): Promise<RegionFeatureCollection> => {
    const key = grids ? `${code}+grids` : code
    asked.push(key)
    const features = collections[key]
    if (!features) throw new ApiError(404, { code: 'not_found', message: '不存在' }, '')
    return { type: 'FeatureCollection', crs_name: 'gcj02', features }
  },
}

describe('map source', () => {
  it('draws a county as its townships, leaving its own outline out', async () => {
    const view = await createMapSource(fake).mapFor(region('620722', 'county'))
    expect(view?.key).toBe('620722')
    expect(view?.features.map((f) => f.properties.code)).toEqual(['620722101', '620722102'])
  })

  it('draws a township as the grids of its villages, in one call', async () => {
    asked.length = 0
    const view = await createMapSource(fake).mapFor(region('620722101', 'town'))
    expect(view?.features.map((f) => f.properties.code)).toEqual(['620722101001001', '620722101002001'])
    expect(view?.highlight).toEqual([])
    expect(asked).toEqual(['620722101+grids'])
  })

  it('draws a village or grid as its township, lit', async () => {
    const source = createMapSource(fake)
    const village = await source.mapFor(region('620722101002', 'village'))
    expect(village?.key).toBe('620722101')
    expect(village?.highlight).toEqual(['620722101002001'])
    const grid = await source.mapFor(region('620722101001001', 'grid', false))
    expect(grid?.highlight).toEqual(['620722101001001'])
  })

  it('answers null where nothing has a boundary', async () => {
    expect(await createMapSource(fake).mapFor(region('510903', 'county'))).toBeNull()
  })
})

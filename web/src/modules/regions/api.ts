// Calls of the regions module (/api/v1/regions). Types come from the generated schema only.
import { api, unwrap, type Schemas } from '@/api/client'

export type Region = Schemas['RegionRead']
export type RegionLevel = Region['level']
export type GridMember = Schemas['GridMemberRead']
/** GCJ-02 FeatureCollection; features carry ``properties.code/name/level/role`` (+ ``synthetic``). */
export type RegionFeatureCollection = Schemas['FeatureCollection']
export type RegionFeature = Schemas['GeoFeature']

export const regionsApi = {
  get: (code: string) => unwrap(api.GET('/api/v1/regions/{code}', { params: { path: { code } } })),
  children: (code: string) => unwrap(api.GET('/api/v1/regions/{code}/children', { params: { path: { code } } })),
  /** ``grids``: also every grid below the region (a township's map in one answer). */
  geojson: (code: string, grids = false) =>
    unwrap(api.GET('/api/v1/regions/{code}/geojson', { params: { path: { code }, query: { crs: 'gcj02', grids } } })),
  gridMembers: (code: string) => unwrap(api.GET('/api/v1/regions/grids/{code}/members', { params: { path: { code } } })),
}

/** Code lengths of the six levels (GB/T 2260 + 统计用区划代码 + 3-digit grids). */
export const CODE_LENGTHS = [2, 4, 6, 9, 12, 15] as const

/** The tree nodes to open to reach ``code`` from ``root``: root and the ancestors below it. */
export function pathToOpen(code: string, root: string): string[] {
  if (!code.startsWith(root)) return []
  return CODE_LENGTHS.filter((n) => n >= root.length && n < code.length).map((n) => code.slice(0, n))
}

export function featureCode(feature: RegionFeature): string {
  return String(feature.properties.code ?? feature.id ?? feature.properties.name ?? '')
}

export function featureName(feature: RegionFeature): string {
  return String(feature.properties.name ?? featureCode(feature))
}

export function isSyntheticFeature(feature: RegionFeature): boolean {
  return Boolean(feature.properties.synthetic)
}

// Calls of the catalog (/api/v1/catalog): resources, versions, the Excel workbook, demands.
import { api, multipart, unwrap, type Schemas, type paths } from '@/api/client'

export type Resource = Schemas['ResourceRead']
export type ResourceCreate = Schemas['ResourceCreate']
export type ResourceUpdate = Schemas['ResourceUpdate']
export type ItemSpec = Schemas['ItemSpec']
export type Version = Schemas['VersionRead']
export type ImportResult = Schemas['ImportResult']
export type Demand = Schemas['DemandRead']
export type DemandCreate = Schemas['DemandCreate']
export type DemandSuggestion = Schemas['DemandSuggestion']
export type ResourceQuery = NonNullable<paths['/api/v1/catalog/resources']['get']['parameters']['query']>
export type DemandQuery = NonNullable<paths['/api/v1/catalog/demands']['get']['parameters']['query']>
type ImportBody = Schemas['Body_import_catalog_api_v1_catalog_import_post']

/** One refused cell of a catalogue import (``detail`` of ``catalog_import_invalid``). */
export interface ImportCellError {
  sheet: string | null
  row: number | null
  column: string | null
  message: string
}

export const catalogApi = {
  resources: (query: ResourceQuery) => unwrap(api.GET('/api/v1/catalog/resources', { params: { query } })),
  resource: (code: string) => unwrap(api.GET('/api/v1/catalog/resources/{code}', { params: { path: { code } } })),
  create: (body: ResourceCreate) => unwrap(api.POST('/api/v1/catalog/resources', { body })),
  update: (code: string, body: ResourceUpdate) =>
    unwrap(api.PATCH('/api/v1/catalog/resources/{code}', { params: { path: { code } }, body })),
  retire: (code: string, reason: string) =>
    unwrap(api.POST('/api/v1/catalog/resources/{code}/retire', { params: { path: { code } }, body: { reason } })),
  versions: (code: string) =>
    unwrap(api.GET('/api/v1/catalog/resources/{code}/versions', { params: { path: { code } } })),
  /** The whole catalogue in the import layout (a Blob to save). */
  exportXlsx: () => unwrap(api.GET('/api/v1/catalog/export.xlsx', { parseAs: 'blob' })) as Promise<Blob>,
  /** All or nothing: a refused workbook throws an ApiError whose ``detail`` lists ImportCellErrors. */
  importXlsx: (file: File) =>
    unwrap(api.POST('/api/v1/catalog/import', { ...multipart<ImportBody>({ file }) })),
  demands: (query: DemandQuery) => unwrap(api.GET('/api/v1/catalog/demands', { params: { query } })),
  createDemand: (body: DemandCreate) => unwrap(api.POST('/api/v1/catalog/demands', { body })),
  suggestions: (id: number) =>
    unwrap(api.GET('/api/v1/catalog/demands/{demand_id}/suggestions', { params: { path: { demand_id: id } } })),
  match: (id: number, resourceCode: string, note: string) =>
    unwrap(
      api.POST('/api/v1/catalog/demands/{demand_id}/match', {
        params: { path: { demand_id: id } },
        body: { resource_code: resourceCode, note },
      }),
    ),
  closeDemand: (id: number, note: string) =>
    unwrap(api.POST('/api/v1/catalog/demands/{demand_id}/close', { params: { path: { demand_id: id } }, body: { note } })),
}

/** The cell errors of a refused import, or [] when the error is of another kind. */
export function importErrors(detail: unknown): ImportCellError[] {
  if (!Array.isArray(detail)) return []
  return detail.filter((d): d is ImportCellError => typeof d === 'object' && d !== null && 'message' in d)
}

// Calls of 数据源管理 (/api/v1/datasources) and the pull from a registered source. The password is
// sent, never received: a source says only whether one is set (``secret_set``).
import { api, unwrap, type Schemas, type paths } from '@/api/client'

export type Datasource = Schemas['DatasourceRead']
export type DatasourceCreate = Schemas['DatasourceCreate']
export type DatasourceUpdate = Schemas['DatasourceUpdate']
export type DatasourceOption = Schemas['DatasourceOption']
export type ConnectionTestResult = Schemas['ConnectionTestResult']
export type PullRequest = Schemas['PullRequest']
export type DatasourceQuery = NonNullable<paths['/api/v1/datasources']['get']['parameters']['query']>

/** The drivers the backend accepts: network database servers only. */
export const DRIVERS = [
  { value: 'postgresql', label: 'PostgreSQL', port: 5432 },
  { value: 'mysql', label: 'MySQL / MariaDB', port: 3306 },
] as const

const path = (id: number) => ({ params: { path: { source_id: id } } })

export const datasourceApi = {
  list: (query: DatasourceQuery) => unwrap(api.GET('/api/v1/datasources', { params: { query } })),
  options: () => unwrap(api.GET('/api/v1/datasources/options')),
  create: (body: DatasourceCreate) => unwrap(api.POST('/api/v1/datasources', { body })),
  update: (id: number, body: DatasourceUpdate) => unwrap(api.PATCH('/api/v1/datasources/{source_id}', { ...path(id), body })),
  remove: (id: number) => unwrap(api.DELETE('/api/v1/datasources/{source_id}', path(id))),
  test: (id: number) => unwrap(api.POST('/api/v1/datasources/{source_id}/test', path(id))),
  pull: (resourceCode: string, body: PullRequest) =>
    unwrap(api.POST('/api/v1/ingest/resources/{resource_code}/pulls', { params: { path: { resource_code: resourceCode } }, body })),
}

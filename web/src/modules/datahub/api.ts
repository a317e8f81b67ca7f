// Calls of the datahub module's catalog (/api/v1/catalog). Types come from the generated schema only.
import { api, unwrap, type Schemas } from '@/api/client'

export type Resource = Schemas['ResourceRead']
export type ResourceCategory = Schemas['ResourceCategory']
export type ShareType = Schemas['ShareType']
export type ResourceQuery = {
  q?: string
  category?: ResourceCategory
  share_type?: ShareType
  page: number
  size: number
}

export const CATEGORIES: readonly ResourceCategory[] = ['basic', 'theme', 'department']
export const SHARE_TYPES: readonly ShareType[] = ['unconditional', 'conditional', 'none']

export const catalogApi = {
  resources: (query: ResourceQuery) => unwrap(api.GET('/api/v1/catalog/resources', { params: { query } })),
}

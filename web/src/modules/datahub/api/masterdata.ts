// Calls of the base libraries (/api/v1/masterdata): 人口库 and 法人库, masked; audited unmask.
import { api, unwrap, type Schemas } from '@/api/client'

export type PersonSummary = Schemas['PersonSummary']
export type PersonProfile = Schemas['PersonProfile']
export type EntitySummary = Schemas['EntitySummary']
export type EntityProfile = Schemas['EntityProfile']
export type AttributeValue = Schemas['AttributeValue']

export interface SearchQuery {
  q: string
  page: number
  size: number
}

export const masterdataApi = {
  persons: (query: SearchQuery) => unwrap(api.GET('/api/v1/masterdata/persons', { params: { query } })),
  person: (masterId: string) =>
    unwrap(api.GET('/api/v1/masterdata/persons/{master_id}', { params: { path: { master_id: masterId } } })),
  /** The plaintext profile; the reason is written to the audit ledger. */
  unmask: (masterId: string, reason: string) =>
    unwrap(
      api.POST('/api/v1/masterdata/persons/{master_id}/unmask', { params: { path: { master_id: masterId } }, body: { reason } }),
    ),
  entities: (query: SearchQuery) => unwrap(api.GET('/api/v1/masterdata/entities', { params: { query } })),
  entity: (masterId: string) =>
    unwrap(api.GET('/api/v1/masterdata/entities/{master_id}', { params: { path: { master_id: masterId } } })),
}

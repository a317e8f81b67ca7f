// Calls of global search (/api/v1/search, owned by citybrain.search).
import { api, unwrap, type Schemas } from '@/api/client'

export type SearchHit = Schemas['SearchHit']
export type SearchPage = Schemas['SearchPage']

export const searchApi = {
  search: (query: { q: string; kind?: string; page: number; size: number }) =>
    unwrap(api.GET('/api/v1/search', { params: { query } })),
}

// The public open-data API (no session): open resources and their CSV downloads.
import { api, unwrap, type Schemas } from '@/api/client'

export type OpenResource = Schemas['OpenResourceRead']

/** Public machine-readable catalogues served by the backend (DCAT and the CKAN action API). */
export const OPEN_LINKS = {
  dcat: '/catalog.jsonld',
  ckan: '/api/3/action/package_list',
} as const

export const opendataApi = {
  resources: () => unwrap(api.GET('/api/v1/opendata/resources')),
}

// Calls of sharing (/api/v1/sharing): requests, decisions, grants, tokens, the delivery log.
import { api, unwrap, type Schemas, type paths } from '@/api/client'

export type ShareRequest = Schemas['ShareRequestRead']
export type ShareRequestCreate = Schemas['ShareRequestCreate']
export type ShareOutcome = Schemas['ShareOutcomeRead']
export type RequestStatus = Schemas['RequestStatus']
export type Grant = Schemas['GrantRead']
export type Delivery = Schemas['DeliveryRead']
export type RequestQuery = NonNullable<paths['/api/v1/sharing/requests']['get']['parameters']['query']>
export type GrantQuery = NonNullable<paths['/api/v1/sharing/grants']['get']['parameters']['query']>
export type DeliveryQuery = NonNullable<paths['/api/v1/sharing/deliveries']['get']['parameters']['query']>

const id = (requestId: number) => ({ params: { path: { request_id: requestId } } })
const grant = (grantId: number) => ({ params: { path: { grant_id: grantId } } })

export const sharingApi = {
  requests: (query: RequestQuery) => unwrap(api.GET('/api/v1/sharing/requests', { params: { query } })),
  /** A refused request (不予共享) throws an ApiError ``share_refused`` whose detail carries the basis. */
  create: (body: ShareRequestCreate) => unwrap(api.POST('/api/v1/sharing/requests', { body })),
  approve: (requestId: number, note: string) =>
    unwrap(api.POST('/api/v1/sharing/requests/{request_id}/approve', { ...id(requestId), body: { note } })),
  reject: (requestId: number, note: string) =>
    unwrap(api.POST('/api/v1/sharing/requests/{request_id}/reject', { ...id(requestId), body: { note } })),
  grants: (query: GrantQuery) => unwrap(api.GET('/api/v1/sharing/grants', { params: { query } })),
  /** A new token (shown once); any earlier token of the grant stops working. */
  token: (grantId: number) => unwrap(api.POST('/api/v1/sharing/grants/{grant_id}/token', grant(grantId))),
  revoke: (grantId: number, reason: string) =>
    unwrap(api.POST('/api/v1/sharing/grants/{grant_id}/revoke', { ...grant(grantId), body: { reason } })),
  deliveries: (query: DeliveryQuery) => unwrap(api.GET('/api/v1/sharing/deliveries', { params: { query } })),
}

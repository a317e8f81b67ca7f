// Calls of data quality (/api/v1/quality): department scores, rectification orders, resubmission.
import { api, multipart, unwrap, type Schemas, type paths } from '@/api/client'

export type DepartmentScore = Schemas['DepartmentScore']
export type Order = Schemas['OrderRead']
export type OrderStatus = Schemas['OrderStatus']
export type ResubmitResult = Schemas['ResubmitResult']
export type RuleSet = Schemas['RuleSetRead']
export type OrderQuery = NonNullable<paths['/api/v1/quality/orders']['get']['parameters']['query']>
type ResubmitBody = Schemas['Body_resubmit_api_v1_quality_orders__order_id__resubmissions_post']

export const qualityApi = {
  scores: (windowDays?: number) =>
    unwrap(api.GET('/api/v1/quality/departments/scores', { params: { query: { window_days: windowDays } } })),
  orders: (query: OrderQuery) => unwrap(api.GET('/api/v1/quality/orders', { params: { query } })),
  order: (id: number) => unwrap(api.GET('/api/v1/quality/orders/{order_id}', { params: { path: { order_id: id } } })),
  /** The order's failed rows as a workbook to fix (a Blob to save). */
  failedRows: (id: number) =>
    unwrap(
      api.GET('/api/v1/quality/orders/{order_id}/failed-rows.xlsx', { params: { path: { order_id: id } }, parseAs: 'blob' }),
    ) as Promise<Blob>,
  resubmit: (id: number, file: File) =>
    unwrap(
      api.POST('/api/v1/quality/orders/{order_id}/resubmissions', {
        params: { path: { order_id: id } },
        ...multipart<ResubmitBody>({ file }),
      }),
    ),
  rules: (resourceCode: string) =>
    unwrap(api.GET('/api/v1/quality/resources/{resource_code}/rules', { params: { path: { resource_code: resourceCode } } })),
}

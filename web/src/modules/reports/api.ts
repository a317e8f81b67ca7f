// Calls of 专报 (/api/v1/reports, owned by citybrain.reports).
import { api, multipart, unwrap, type Schemas, type paths } from '@/api/client'

export type Report = Schemas['ReportDetail']
export type ReportSummary = Schemas['ReportSummary']
export type ReportCreate = Schemas['ReportCreate']
export type ReportUpdate = Schemas['ReportUpdate']
export type ReportQuery = NonNullable<paths['/api/v1/reports']['get']['parameters']['query']>
type AttachmentBody = Schemas['Body_add_attachment_api_v1_reports__report_id__attachments_post']

const one = (id: number) => ({ params: { path: { report_id: id } } })
const file = (id: number, attachmentId: number) => ({
  params: { path: { report_id: id, attachment_id: attachmentId } },
})

export const reportsApi = {
  list: (query: ReportQuery) => unwrap(api.GET('/api/v1/reports', { params: { query } })),
  get: (id: number) => unwrap(api.GET('/api/v1/reports/{report_id}', one(id))),
  create: (body: ReportCreate) => unwrap(api.POST('/api/v1/reports', { body })),
  update: (id: number, body: ReportUpdate) => unwrap(api.PATCH('/api/v1/reports/{report_id}', { ...one(id), body })),
  remove: (id: number) => unwrap(api.DELETE('/api/v1/reports/{report_id}', one(id))),
  publish: (id: number) => unwrap(api.POST('/api/v1/reports/{report_id}/publish', one(id))),
  withdraw: (id: number, reason: string) =>
    unwrap(api.POST('/api/v1/reports/{report_id}/withdraw', { ...one(id), body: { reason } })),
  attach: (id: number, upload: File) =>
    unwrap(api.POST('/api/v1/reports/{report_id}/attachments', { ...one(id), ...multipart<AttachmentBody>({ file: upload }) })),
  download: (id: number, attachmentId: number) =>
    unwrap(
      api.GET('/api/v1/reports/{report_id}/attachments/{attachment_id}', { ...file(id, attachmentId), parseAs: 'blob' }),
    ) as Promise<Blob>,
  detach: (id: number, attachmentId: number) =>
    unwrap(api.DELETE('/api/v1/reports/{report_id}/attachments/{attachment_id}', file(id, attachmentId))),
}

// Calls of the audit ledger (/api/v1/audit, owned by citybrain.core.audit).
import { api, unwrap, type Schemas } from '@/api/client'

export type AuditRecord = Schemas['AuditRecordRead']
export type AuditVerify = Schemas['AuditVerifyRead']
export type AuditAction = Schemas['AuditActionRead']

/** The three export formats the backend writes (citybrain.core.audit.export.ExportFormat). */
export const EXPORT_FORMATS = ['xlsx', 'csv', 'jsonl'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export interface AuditQuery {
  actor?: string
  action?: string
  outcome?: string
  since?: string
  until?: string
}

export const auditApi = {
  records: (query: AuditQuery & { page: number; size: number }) =>
    unwrap(api.GET('/api/v1/audit/records', { params: { query } })),
  /** The matching records in ``format`` (a Blob to save). */
  export: (query: AuditQuery, format: ExportFormat) =>
    unwrap(
      api.GET('/api/v1/audit/export', { params: { query: { ...query, format } }, parseAs: 'blob' }),
    ) as Promise<Blob>,
  /** Every registered action code with its Chinese title, for the filter. */
  actions: () => unwrap(api.GET('/api/v1/audit/actions')),
  verify: () => unwrap(api.GET('/api/v1/audit/verify')),
}

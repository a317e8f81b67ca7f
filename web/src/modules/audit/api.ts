// Calls of the audit ledger (/api/v1/audit, owned by citybrain.core.audit).
import { api, unwrap, type Schemas } from '@/api/client'

export type AuditRecord = Schemas['AuditRecordRead']
export type AuditVerify = Schemas['AuditVerifyRead']

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
  /** The matching records as JSON lines (a Blob to save). */
  export: (query: AuditQuery) =>
    unwrap(api.GET('/api/v1/audit/export', { params: { query }, parseAs: 'blob' })) as Promise<Blob>,
  verify: () => unwrap(api.GET('/api/v1/audit/verify')),
}

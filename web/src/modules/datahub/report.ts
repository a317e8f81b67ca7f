// The quality report of a batch. The backend answers it as a free-form object (BatchDetail.report),
// so this module narrows it to what the pages read, tolerating missing parts.

export interface ReportExample {
  row: number
  value: string | null
  reason: string
  message: string
}

export interface ReportRule {
  rule: string
  item: string
  title: string
  kind: string
  label: string
  failed: number
  examples: ReportExample[]
}

export interface ReportField {
  item: string
  title: string
  failed: number
}

export interface QualityReport {
  id: number | null
  totalRows: number
  passedRows: number
  failedRows: number
  score: number | null
  rules: ReportRule[]
  fields: ReportField[]
  unknownColumns: string[]
}

type Loose = Record<string, unknown>

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v)
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v))
const list = (v: unknown): Loose[] => (Array.isArray(v) ? v.filter(isObject) : [])

export function parseReport(raw: unknown): QualityReport | null {
  if (!isObject(raw)) return null
  return {
    id: typeof raw.id === 'number' ? raw.id : null,
    totalRows: num(raw.total_rows),
    passedRows: num(raw.passed_rows),
    failedRows: num(raw.failed_rows),
    score: typeof raw.score === 'number' ? raw.score : null,
    rules: list(raw.rules).map((r) => ({
      rule: str(r.rule),
      item: str(r.item),
      title: str(r.title) || str(r.item),
      kind: str(r.kind),
      label: str(r.label) || str(r.kind),
      failed: num(r.failed),
      examples: list(r.examples).map((e) => ({
        row: num(e.row),
        value: e.value === null || e.value === undefined ? null : str(e.value),
        reason: str(e.reason),
        message: str(e.message),
      })),
    })),
    fields: list(raw.fields).map((f) => ({ item: str(f.item), title: str(f.title) || str(f.item), failed: num(f.failed) })),
    unknownColumns: Array.isArray(raw.unknown_columns) ? raw.unknown_columns.map(str) : [],
  }
}

/** Every example of every rule, flattened for one table. */
export function examplesOf(report: QualityReport): Array<ReportExample & { title: string; label: string }> {
  return report.rules.flatMap((r) => r.examples.map((e) => ({ ...e, title: r.title, label: r.label })))
}

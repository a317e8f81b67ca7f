// Pure helpers of the audit page (tested in tests/unit/audit.spec.ts).
import type { AuditAction, ExportFormat } from './api'

/** ``audit-20261207-160102.xlsx`` in the browser's local time. */
export function exportFileName(format: ExportFormat, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  const day = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}`
  const time = `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`
  return `audit-${day}-${time}.${format}`
}

/** A title with its code beside it, unless there is no title of its own. */
export function withCode(title: string, code: string): string {
  return title && title !== code ? `${title}（${code}）` : code
}

/** Actions for the filter, grouped by their domain prefix (``iam``, ``sharing`` …). */
export function groupActions(actions: AuditAction[]): { domain: string; items: AuditAction[] }[] {
  const groups = new Map<string, AuditAction[]>()
  for (const action of actions) {
    const domain = action.code.split('.')[0] ?? action.code
    groups.set(domain, [...(groups.get(domain) ?? []), action])
  }
  return [...groups.entries()].map(([domain, items]) => ({ domain, items }))
}

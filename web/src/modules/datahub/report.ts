// The quality report of a batch, typed by the backend (ReportRead in the OpenAPI document, the
// `report` of BatchDetail); regenerate with `make openapi` when it changes.
import type { Schemas } from '@/api/client'

export type QualityReport = Schemas['ReportRead']
export type ReportRule = Schemas['QualityReportRule']
export type ReportExample = Schemas['QualityReportExample']
export type ReportField = Schemas['QualityReportField']

/** Every example of every rule, flattened for one table. */
export function examplesOf(report: QualityReport): Array<ReportExample & { title: string; label: string }> {
  return report.rules.flatMap((r) => r.examples.map((e) => ({ ...e, title: r.title, label: r.label })))
}

// Calls of the indicator platform (/api/v1/indicators, owned by citybrain.indicators).
import { api, unwrap, type Schemas } from '@/api/client'

export type Indicator = Schemas['IndicatorRead']
export type IndicatorCreate = Schemas['IndicatorCreate']
export type Definition = Schemas['IndicatorDefinition']
export type Validation = Schemas['ValidationResult']
export type TreeBoard = Schemas['TreeBoard']
export type Revision = Schemas['RevisionRead']
export type Run = Schemas['RunRead']
export type DurationPoint = Schemas['DurationPoint']
export type ValueList = Schemas['ValueList']
export type CalendarDay = Schemas['CalendarDay']

export interface RunQuery {
  indicator?: string
  status?: string
  period?: string
}

export const indicatorsApi = {
  tree: () => unwrap(api.GET('/api/v1/indicators/tree')),
  get: (code: string) => unwrap(api.GET('/api/v1/indicators/{code}', { params: { path: { code } } })),
  validate: (body: Schemas['ValidationRequest']) => unwrap(api.POST('/api/v1/indicators/validate', { body })),
  create: (body: IndicatorCreate) => unwrap(api.POST('/api/v1/indicators', { body })),
  revise: (code: string, body: Definition) =>
    unwrap(api.PUT('/api/v1/indicators/{code}', { params: { path: { code } }, body })),
  submit: (code: string, note = '') =>
    unwrap(api.POST('/api/v1/indicators/{code}/submit', { params: { path: { code } }, body: { note } })),
  approve: (code: string, note = '') =>
    unwrap(api.POST('/api/v1/indicators/{code}/approve', { params: { path: { code } }, body: { note } })),
  reject: (code: string, note = '') =>
    unwrap(api.POST('/api/v1/indicators/{code}/reject', { params: { path: { code } }, body: { note } })),
  publish: (code: string, note = '') =>
    unwrap(api.POST('/api/v1/indicators/{code}/publish', { params: { path: { code } }, body: { note } })),
  revisions: (query: { status?: 'submitted' | 'approved'; page: number; size: number }) =>
    unwrap(api.GET('/api/v1/indicators/revisions', { params: { query } })),
  runs: (query: RunQuery & { page: number; size: number }) =>
    unwrap(api.GET('/api/v1/indicators/runs', { params: { query } })),
  rerun: (codes: string[], periodFrom: string, periodTo: string) =>
    unwrap(api.POST('/api/v1/indicators/runs', { body: { codes, period_from: periodFrom, period_to: periodTo } })),
  retire: (code: string, note = '') =>
    unwrap(api.POST('/api/v1/indicators/{code}/retire', { params: { path: { code } }, body: { note } })),
  calendar: (from: string, to: string) =>
    unwrap(api.GET('/api/v1/indicators/runs/calendar', { params: { query: { from, to } } })),
  durations: (code: string) =>
    unwrap(api.GET('/api/v1/indicators/{code}/durations', { params: { path: { code } } })),
  values: (code: string, query: { region?: string; from?: string; to?: string }) =>
    unwrap(api.GET('/api/v1/indicators/{code}/values', { params: { path: { code }, query } })),
}

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

// 五色预警 (/api/v1/indicators/warnings) and 问题反馈 (/api/v1/indicators/feedback).
export type Warning = Schemas['IndicatorWarningRead']
export type WarningColour = Schemas['IndicatorWarningColour']
export type WarningStatus = Schemas['IndicatorWarningStatus']
export type WarningRuleSpec = Schemas['IndicatorWarningRuleSpec']
export type WarningBand = Schemas['IndicatorWarningBand']
export type WarningRules = Schemas['IndicatorWarningRules']
export type Feedback = Schemas['IndicatorFeedbackRead']
export type FeedbackCreate = Schemas['IndicatorFeedbackCreate']
export type FeedbackStatus = Schemas['IndicatorFeedbackStatus']

export interface WarningQuery {
  colour?: WarningColour
  status?: WarningStatus
  region?: string
  indicator?: string
  page: number
  size: number
}

export const warningsApi = {
  list: (query: WarningQuery) => unwrap(api.GET('/api/v1/indicators/warnings', { params: { query } })),
  acknowledge: (id: number) =>
    unwrap(api.POST('/api/v1/indicators/warnings/{warning_id}/acknowledge', { params: { path: { warning_id: id } } })),
  close: (id: number, note: string) =>
    unwrap(
      api.POST('/api/v1/indicators/warnings/{warning_id}/close', { params: { path: { warning_id: id } }, body: { note } }),
    ),
  rules: (code: string) => unwrap(api.GET('/api/v1/indicators/warnings/rules/{code}', { params: { path: { code } } })),
  saveRule: (code: string, body: WarningRuleSpec) =>
    unwrap(api.PUT('/api/v1/indicators/warnings/rules/{code}', { params: { path: { code } }, body })),
  saveOverride: (code: string, region: string, body: WarningRuleSpec) =>
    unwrap(
      api.PUT('/api/v1/indicators/warnings/rules/{code}/regions/{region}', { params: { path: { code, region } }, body }),
    ),
  deleteOverride: (code: string, region: string) =>
    unwrap(api.DELETE('/api/v1/indicators/warnings/rules/{code}/regions/{region}', { params: { path: { code, region } } })),
}

export const feedbackApi = {
  list: (query: { status?: FeedbackStatus; mine?: boolean; indicator?: string; page: number; size: number }) =>
    unwrap(api.GET('/api/v1/indicators/feedback', { params: { query } })),
  file: (body: FeedbackCreate) => unwrap(api.POST('/api/v1/indicators/feedback', { body })),
  assign: (id: number, assignee: string, note = '') =>
    unwrap(
      api.POST('/api/v1/indicators/feedback/{feedback_id}/assign', {
        params: { path: { feedback_id: id } },
        body: { assignee, note },
      }),
    ),
  resolve: (id: number, note: string) =>
    unwrap(
      api.POST('/api/v1/indicators/feedback/{feedback_id}/resolve', { params: { path: { feedback_id: id } }, body: { note } }),
    ),
  reject: (id: number, note: string) =>
    unwrap(
      api.POST('/api/v1/indicators/feedback/{feedback_id}/reject', { params: { path: { feedback_id: id } }, body: { note } }),
    ),
}

// The closed vocabularies of the datahub as the backend stores them, with their i18n labels and
// tag colours. Values come from the generated schema; labels live under each section's key.
import { useI18n } from 'vue-i18n'
import type { Schemas } from '@/api/client'

type S = Schemas
export const CATEGORIES: readonly S['ResourceCategory'][] = ['basic', 'theme', 'department']
export const SHARE_TYPES: readonly S['ShareType'][] = ['unconditional', 'conditional', 'none']
export const SHARE_METHODS: readonly S['ShareMethod'][] = ['api', 'file', 'table']
export const OPEN_ATTRIBUTES: readonly S['OpenAttribute'][] = ['open', 'conditional', 'closed']
export const SENSITIVITIES: readonly S['Sensitivity'][] = ['public', 'internal', 'sensitive', 'core']
export const ITEM_TYPES: readonly S['ItemType'][] = ['string', 'integer', 'decimal', 'date', 'datetime', 'boolean']
export const MASKS: readonly S['MaskKind'][] = ['none', 'id_number', 'mobile', 'name', 'address']
export const UPDATE_CYCLES: readonly S['UpdateCycle'][] = [
  'realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'half_yearly', 'yearly', 'irregular',
]
export const DEMAND_STATUSES: readonly S['DemandStatus'][] = ['open', 'matched', 'closed']
export const BATCH_STATUSES: readonly S['BatchStatus'][] = ['queued', 'running', 'loaded', 'duplicate', 'rejected', 'failed']
export const ORDER_STATUSES: readonly S['OrderStatus'][] = ['open', 'resubmitted', 'closed']
export const REQUEST_STATUSES: readonly S['RequestStatus'][] = ['pending', 'approved', 'rejected', 'refused', 'revoked', 'expired']

export type TagType = 'primary' | 'success' | 'warning' | 'danger' | 'info'

export const SENSITIVITY_TAG: Record<S['Sensitivity'], TagType> = {
  public: 'success', internal: 'info', sensitive: 'warning', core: 'danger',
}
export const DEMAND_TAG: Record<S['DemandStatus'], TagType> = { open: 'warning', matched: 'success', closed: 'info' }
export const BATCH_TAG: Record<S['BatchStatus'], TagType> = {
  queued: 'info', running: 'primary', loaded: 'success', duplicate: 'info', rejected: 'danger', failed: 'danger',
}
export const ORDER_TAG: Record<S['OrderStatus'], TagType> = { open: 'warning', resubmitted: 'primary', closed: 'success' }
export const REQUEST_TAG: Record<S['RequestStatus'], TagType> = {
  pending: 'warning', approved: 'success', rejected: 'danger', refused: 'danger', revoked: 'info', expired: 'info',
}
export const GRANT_TAG: Record<S['GrantState'], TagType> = {
  active: 'success', not_started: 'primary', expired: 'info', revoked: 'danger',
}

/** A quality score (0–100) as a colour: 95 and up is good, below 80 needs work. */
export function scoreTag(score: number | null | undefined): TagType {
  if (score === null || score === undefined) return 'info'
  if (score >= 95) return 'success'
  return score >= 80 ? 'warning' : 'danger'
}

/** ``label('catalog.categories', 'basic')``: the label of a stored value, else the value itself. */
export function useLabel(): (group: string, value: string | null | undefined) => string {
  const { t, te } = useI18n()
  return (group, value) => {
    if (value === null || value === undefined || value === '') return '—'
    return te(`${group}.${value}`) ? t(`${group}.${value}`) : value
  }
}

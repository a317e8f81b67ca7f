// How review pairs are shown (pure, unit-tested).

export const REVIEW_STATUSES = ['pending', 'merged', 'apart', 'superseded'] as const
export type ReviewStatusName = (typeof REVIEW_STATUSES)[number]

type TagType = 'success' | 'warning' | 'danger' | 'info' | 'primary'

/** Tag colour of a pair's status: waiting amber, merged green, kept apart grey-blue. */
export function statusTag(status: string): TagType {
  switch (status) {
    case 'pending':
      return 'warning'
    case 'merged':
      return 'success'
    case 'apart':
      return 'primary'
    default:
      return 'info'
  }
}

/** A match weight with its sign, one decimal: "+2.4", "-0.8". */
export function formatWeight(weight: number): string {
  const rounded = Math.round(weight * 10) / 10
  return `${rounded > 0 ? '+' : ''}${rounded.toFixed(1)}`
}

/** A share as a percentage with two decimals, or a dash: 0.0021 → "0.21%". */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined) return '—'
  return `${(share * 100).toFixed(2)}%`
}

/** The fields compared side by side, in order, with whether the two sides differ. */
export const COMPARED_FIELDS = ['name', 'id_number', 'gender', 'birth_date', 'phone', 'address', 'town_code'] as const
export type ComparedField = (typeof COMPARED_FIELDS)[number]

export function differs(left: string | null | undefined, right: string | null | undefined): boolean {
  if (!left || !right) return false
  return left !== right
}

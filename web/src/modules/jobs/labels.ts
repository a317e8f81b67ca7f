// How a run's outcome and duration are shown (pure, unit-tested).

export const OUTCOMES = ['queued', 'running', 'retrying', 'ok', 'failed'] as const
export type Outcome = (typeof OUTCOMES)[number]

type TagType = 'success' | 'warning' | 'danger' | 'info' | 'primary'

/** Element Plus tag colour of an outcome: done green, failed red, retrying amber, waiting grey. */
export function outcomeTag(outcome: string): TagType {
  switch (outcome) {
    case 'ok':
      return 'success'
    case 'failed':
      return 'danger'
    case 'retrying':
      return 'warning'
    case 'running':
      return 'primary'
    default:
      return 'info'
  }
}

/** A duration in milliseconds as people read it: 850 毫秒, 12.3 秒, 4 分 5 秒. */
export function formatDuration(ms: number | null | undefined, units = { ms: '毫秒', s: '秒', min: '分' }): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${ms} ${units.ms}`
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} ${units.s}`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} ${units.min} ${Math.round(seconds - minutes * 60)} ${units.s}`
}

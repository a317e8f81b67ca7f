// How run statuses are shown (pure).
type TagType = 'success' | 'warning' | 'danger' | 'info' | 'primary'

export function runTag(status: string): TagType {
  switch (status) {
    case 'ok':
      return 'success'
    case 'failed':
    case 'timeout':
      return 'danger'
    case 'skipped':
      return 'warning'
    case 'running':
      return 'primary'
    default:
      return 'info'
  }
}

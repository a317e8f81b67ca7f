// How kinds, delivery states and channel kinds are shown (pure, unit-tested).

export const KINDS = ['notice', 'warning', 'event', 'task', 'system'] as const
export const DELIVERY_STATES = ['queued', 'sending', 'sent', 'failed'] as const
export const CHANNEL_KINDS = ['email', 'wecom', 'dingtalk', 'feishu', 'webhook'] as const
export type ChannelKind = (typeof CHANNEL_KINDS)[number]

type TagType = 'success' | 'warning' | 'danger' | 'info' | 'primary'

/** Element Plus tag colour of a message kind: warnings red, events amber, tasks blue. */
export function kindTag(kind: string): TagType {
  switch (kind) {
    case 'warning':
      return 'danger'
    case 'event':
      return 'warning'
    case 'task':
      return 'primary'
    case 'system':
      return 'info'
    default:
      return 'success'
  }
}

export function deliveryTag(state: string): TagType {
  switch (state) {
    case 'sent':
      return 'success'
    case 'failed':
      return 'danger'
    case 'sending':
      return 'primary'
    default:
      return 'info'
  }
}

/** The badge text of an unread count: nothing at zero, "99+" above 99. */
export function badgeText(unread: number): string {
  if (unread <= 0) return ''
  return unread > 99 ? '99+' : String(unread)
}

/** Which fields a channel kind takes (the form shows only those). */
export function channelFields(kind: ChannelKind): { url: boolean; secret: boolean; smtp: boolean; format: boolean } {
  const email = kind === 'email'
  return { url: !email, secret: kind !== 'wecom', smtp: email, format: !email && kind !== 'webhook' }
}

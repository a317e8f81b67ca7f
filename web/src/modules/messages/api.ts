// Calls of the message centre (/api/v1/messages, owned by citybrain.messages). Types come from
// the generated schema only; the live stream is read by ``sse.ts``.
import { api, unwrap, type Schemas } from '@/api/client'

export type InboxItem = Schemas['InboxItem']
export type InboxDetail = Schemas['InboxDetail']
export type MessageSend = Schemas['MessageSend']
export type AudienceSpec = Schemas['AudienceSpec']
export type AudienceUser = Schemas['AudienceUser']
export type AudienceRole = Schemas['AudienceRole']
export type SentItem = Schemas['SentItem']
export type SentDetail = Schemas['SentDetail']
export type Receipt = Schemas['ReceiptRead']
export type Channel = Schemas['ChannelRead']
export type ChannelCreate = Schemas['ChannelCreate']
export type ChannelUpdate = Schemas['ChannelUpdate']
export type ChannelOption = Schemas['ChannelOption']
export type Template = Schemas['TemplateRead']
export type TemplateCreate = Schemas['TemplateCreate']
export type TemplateUpdate = Schemas['TemplateUpdate']
export type Tag = Schemas['TagRead']
export type Delivery = Schemas['MessageDeliveryRead']
export type MessageKind = Schemas['MessageKind']

export interface InboxQuery {
  unread?: boolean
  kind?: MessageKind
  q?: string
  page: number
  size: number
}

const message = (id: number) => ({ params: { path: { message_id: id } } })
const channel = (id: number) => ({ params: { path: { channel_id: id } } })
const template = (id: number) => ({ params: { path: { template_id: id } } })
const tag = (id: number) => ({ params: { path: { tag_id: id } } })

export const messagesApi = {
  // one's own inbox (signed in only)
  inbox: (query: InboxQuery) => unwrap(api.GET('/api/v1/messages/inbox', { params: { query } })),
  unreadCount: () => unwrap(api.GET('/api/v1/messages/inbox/unread-count')),
  detail: (id: number) => unwrap(api.GET('/api/v1/messages/inbox/{message_id}', message(id))),
  markRead: (id: number) => unwrap(api.POST('/api/v1/messages/inbox/{message_id}/read', message(id))),
  markAllRead: () => unwrap(api.POST('/api/v1/messages/inbox/read-all')),
  contact: () => unwrap(api.GET('/api/v1/messages/me/contact')),
  setContact: (email: string | null) => unwrap(api.PUT('/api/v1/messages/me/contact', { body: { email } })),

  // sending (messages:send)
  send: (body: MessageSend) => unwrap(api.POST('/api/v1/messages', { body })),
  preview: (body: AudienceSpec) => unwrap(api.POST('/api/v1/messages/audience/preview', { body })),
  users: (q: string) => unwrap(api.GET('/api/v1/messages/audience/users', { params: { query: { q } } })),
  roles: () => unwrap(api.GET('/api/v1/messages/audience/roles')),
  tags: () => unwrap(api.GET('/api/v1/messages/tags')),
  channelOptions: () => unwrap(api.GET('/api/v1/messages/channels/options')),
  templates: () => unwrap(api.GET('/api/v1/messages/templates')),
  sent: (page: number, size: number) => unwrap(api.GET('/api/v1/messages/sent', { params: { query: { page, size } } })),
  sentDetail: (id: number) => unwrap(api.GET('/api/v1/messages/sent/{message_id}', message(id))),
  receipts: (id: number, page: number, size: number, read?: boolean) =>
    unwrap(
      api.GET('/api/v1/messages/sent/{message_id}/receipts', {
        params: { path: { message_id: id }, query: { page, size, read } },
      }),
    ),

  // administration (messages:admin)
  channels: (page: number, size: number) => unwrap(api.GET('/api/v1/messages/channels', { params: { query: { page, size } } })),
  createChannel: (body: ChannelCreate) => unwrap(api.POST('/api/v1/messages/channels', { body })),
  updateChannel: (id: number, body: ChannelUpdate) => unwrap(api.PATCH('/api/v1/messages/channels/{channel_id}', { ...channel(id), body })),
  removeChannel: (id: number) => unwrap(api.DELETE('/api/v1/messages/channels/{channel_id}', channel(id))),
  testChannel: (id: number, email: string | null) =>
    unwrap(api.POST('/api/v1/messages/channels/{channel_id}/test', { ...channel(id), body: { email } })),
  createTemplate: (body: TemplateCreate) => unwrap(api.POST('/api/v1/messages/templates', { body })),
  updateTemplate: (id: number, body: TemplateUpdate) =>
    unwrap(api.PATCH('/api/v1/messages/templates/{template_id}', { ...template(id), body })),
  removeTemplate: (id: number) => unwrap(api.DELETE('/api/v1/messages/templates/{template_id}', template(id))),
  previewTemplate: (title_template: string, body_template: string, variables: Record<string, unknown>) =>
    unwrap(api.POST('/api/v1/messages/templates/preview', { body: { title_template, body_template, variables } })),
  createTag: (name: string, description: string, user_ids: number[]) =>
    unwrap(api.POST('/api/v1/messages/tags', { body: { name, description, user_ids } })),
  tagMembers: (id: number) => unwrap(api.GET('/api/v1/messages/tags/{tag_id}/members', tag(id))),
  setTagMembers: (id: number, user_ids: number[]) =>
    unwrap(api.PUT('/api/v1/messages/tags/{tag_id}/members', { ...tag(id), body: { user_ids } })),
  removeTag: (id: number) => unwrap(api.DELETE('/api/v1/messages/tags/{tag_id}', tag(id))),
  deliveries: (query: { state?: 'queued' | 'sending' | 'sent' | 'failed'; page: number; size: number }) =>
    unwrap(api.GET('/api/v1/messages/deliveries', { params: { query } })),
  retryDelivery: (id: number) =>
    unwrap(api.POST('/api/v1/messages/deliveries/{delivery_id}/retry', { params: { path: { delivery_id: id } } })),
}

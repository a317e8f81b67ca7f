import type { RouteRecordRaw } from 'vue-router'

// The message centre (citybrain.messages), API prefix /api/v1/messages. The inbox needs only a
// sign-in (iam:self); sending needs messages:send; channels and templates need messages:admin.
const group = 'messages.menu.group'

export const messagesRoutes: RouteRecordRaw[] = [
  {
    path: 'messages/inbox',
    name: 'messages-inbox',
    component: () => import('./views/InboxView.vue'),
    // iam:self: held by every signed-in person (never by an API key), as the inbox is
    meta: { title: 'messages.menu.inbox', permission: 'iam:self', menu: true, menuGroup: group, icon: 'Bell', order: 30 },
  },
  {
    path: 'messages/send',
    name: 'messages-send',
    component: () => import('./views/SendView.vue'),
    meta: { title: 'messages.menu.send', permission: 'messages:send', menu: true, menuGroup: group, icon: 'Promotion', order: 31 },
  },
  {
    path: 'messages/channels',
    name: 'messages-channels',
    component: () => import('./views/ChannelsView.vue'),
    meta: { title: 'messages.menu.channels', permission: 'messages:admin', menu: true, menuGroup: group, icon: 'Connection', order: 32 },
  },
  {
    path: 'messages/templates',
    name: 'messages-templates',
    component: () => import('./views/TemplatesView.vue'),
    meta: { title: 'messages.menu.templates', permission: 'messages:admin', menu: true, menuGroup: group, icon: 'Document', order: 33 },
  },
]

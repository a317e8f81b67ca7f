import type { RouteRecordRaw } from 'vue-router'

// 事件 (citybrain.events): the work list and an event's timeline; the citizen's report page
// and tracking answer without login.
const READERS = ['events:read', 'events:report', 'events:dispatch', 'events:handle', 'events:check']

export const eventsRoutes: RouteRecordRaw[] = [
  {
    path: 'events',
    name: 'events',
    component: () => import('./views/EventsView.vue'),
    meta: { title: 'events.title', permission: READERS, menu: true, icon: 'Warning', order: 30 },
  },
  {
    path: 'events/:id(\\d+)',
    name: 'event',
    component: () => import('./views/EventView.vue'),
    meta: { title: 'events.detail', permission: READERS, activeMenu: '/events' },
  },
]

export const eventsPublicRoutes: RouteRecordRaw[] = [
  {
    path: '/report',
    name: 'citizen-report',
    component: () => import('./views/CitizenReportView.vue'),
    meta: { title: 'events.citizen.title', public: true },
  },
]

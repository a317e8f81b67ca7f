import type { RouteRecordRaw } from 'vue-router'

// 专报 (citybrain.reports): list, read, write.
const READERS = ['reports:read', 'reports:write', 'reports:publish']

export const reportsRoutes: RouteRecordRaw[] = [
  {
    path: 'reports',
    name: 'reports',
    component: () => import('./views/ReportsView.vue'),
    meta: { title: 'reports.title', permission: READERS, menu: true, icon: 'Document', order: 35 },
  },
  {
    path: 'reports/new',
    name: 'report-new',
    component: () => import('./views/ReportEditorView.vue'),
    meta: { title: 'reports.new', permission: 'reports:write', activeMenu: '/reports' },
  },
  {
    path: 'reports/:id(\\d+)',
    name: 'report',
    component: () => import('./views/ReportView.vue'),
    meta: { title: 'reports.read', permission: READERS, activeMenu: '/reports' },
  },
  {
    path: 'reports/:id(\\d+)/edit',
    name: 'report-edit',
    component: () => import('./views/ReportEditorView.vue'),
    meta: { title: 'reports.edit', permission: 'reports:write', activeMenu: '/reports' },
  },
]

import type { RouteRecordRaw } from 'vue-router'

// The audit ledger belongs to the backend's core (citybrain.core.audit), API prefix /api/v1/audit.
export const auditRoutes: RouteRecordRaw[] = [
  {
    path: 'audit',
    name: 'audit',
    component: () => import('./views/AuditView.vue'),
    meta: { title: 'menu.audit', permission: 'audit:read', menu: true, icon: 'Document', order: 30 },
  },
]

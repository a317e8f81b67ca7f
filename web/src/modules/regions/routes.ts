import type { RouteRecordRaw } from 'vue-router'

export const regionsRoutes: RouteRecordRaw[] = [
  {
    path: 'regions',
    name: 'regions',
    component: () => import('./views/RegionsView.vue'),
    meta: { title: 'menu.regions', permission: 'regions:read', menu: true, icon: 'MapLocation', order: 10 },
  },
]

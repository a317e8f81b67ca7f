import type { RouteRecordRaw } from 'vue-router'

// The datahub backend (citybrain.datahub) answers under /api/v1/catalog, /api/v1/sharing, ...
export const datahubRoutes: RouteRecordRaw[] = [
  {
    path: 'datahub/catalog',
    name: 'datahub-catalog',
    component: () => import('./views/CatalogView.vue'),
    meta: { title: 'menu.catalog', permission: 'catalog:read', menu: true, menuGroup: 'menu.datahub', icon: 'Coin', order: 40 },
  },
]

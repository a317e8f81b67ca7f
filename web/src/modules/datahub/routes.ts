import type { RouteRecordRaw } from 'vue-router'

// The datahub backend (citybrain.datahub) answers under /api/v1/catalog, /ingest, /datasources,
// /quality, /sharing, /masterdata and /opendata. Each page is gated by the code its list endpoint checks.
const group = 'menu.datahub'

export const datahubRoutes: RouteRecordRaw[] = [
  {
    path: 'datahub/catalog',
    name: 'datahub-catalog',
    component: () => import('./views/CatalogView.vue'),
    meta: { title: 'menu.catalog', permission: 'catalog:read', menu: true, menuGroup: group, icon: 'Coin', order: 40 },
  },
  {
    path: 'datahub/demands',
    name: 'datahub-demands',
    component: () => import('./views/DemandsView.vue'),
    meta: { title: 'menu.demands', permission: 'catalog:read', menu: true, menuGroup: group, icon: 'Connection', order: 41 },
  },
  {
    path: 'datahub/batches',
    name: 'datahub-batches',
    component: () => import('./views/BatchesView.vue'),
    meta: { title: 'menu.batches', permission: 'quality:read', menu: true, menuGroup: group, icon: 'Upload', order: 42 },
  },
  {
    path: 'datahub/batches/:id(\\d+)',
    name: 'datahub-batch',
    component: () => import('./views/BatchDetailView.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: 'menu.batchDetail', permission: 'quality:read', menuGroup: group, activeMenu: '/datahub/batches' },
  },
  {
    path: 'datahub/datasources',
    name: 'datahub-datasources',
    component: () => import('./views/DatasourcesView.vue'),
    meta: { title: 'menu.datasources', permission: 'datasource:read', menu: true, menuGroup: group, icon: 'Files', order: 47 },
  },
  {
    path: 'datahub/quality',
    name: 'datahub-quality',
    component: () => import('./views/QualityView.vue'),
    meta: { title: 'menu.quality', permission: 'quality:read', menu: true, menuGroup: group, icon: 'DataAnalysis', order: 43 },
  },
  {
    path: 'datahub/quality/orders/:id(\\d+)',
    name: 'datahub-order',
    component: () => import('./views/OrderDetailView.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: 'menu.orderDetail', permission: 'quality:read', menuGroup: group, activeMenu: '/datahub/quality' },
  },
  {
    path: 'datahub/sharing',
    name: 'datahub-sharing',
    component: () => import('./views/SharingView.vue'),
    meta: {
      title: 'menu.sharing',
      permission: ['sharing:request', 'sharing:approve', 'sharing:manage'],
      menu: true,
      menuGroup: group,
      icon: 'Share',
      order: 44,
    },
  },
  {
    path: 'datahub/persons',
    name: 'datahub-persons',
    component: () => import('./views/PersonsView.vue'),
    meta: { title: 'menu.persons', permission: 'masterdata:read', menu: true, menuGroup: group, icon: 'UserFilled', order: 45 },
  },
  {
    path: 'datahub/persons/:id',
    name: 'datahub-person',
    component: () => import('./views/PersonProfileView.vue'),
    props: true,
    meta: { title: 'menu.personProfile', permission: 'masterdata:read', menuGroup: group, activeMenu: '/datahub/persons' },
  },
  {
    path: 'datahub/entities',
    name: 'datahub-entities',
    component: () => import('./views/EntitiesView.vue'),
    meta: { title: 'menu.entities', permission: 'masterdata:read', menu: true, menuGroup: group, icon: 'OfficeBuilding', order: 46 },
  },
  {
    path: 'datahub/entities/:id',
    name: 'datahub-entity',
    component: () => import('./views/EntityProfileView.vue'),
    props: true,
    meta: { title: 'menu.entityProfile', permission: 'masterdata:read', menuGroup: group, activeMenu: '/datahub/entities' },
  },
]

/** The open-data portal: public, outside the admin layout (linked from the login page). */
export const datahubPublicRoutes: RouteRecordRaw[] = [
  {
    path: '/open',
    name: 'open-data',
    component: () => import('./views/OpenDataView.vue'),
    meta: { title: 'menu.opendata', public: true },
  },
]

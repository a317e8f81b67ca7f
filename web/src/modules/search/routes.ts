import type { RouteRecordRaw } from 'vue-router'

// Global search (citybrain.search): the results page; the box is in the layout's header.
export const searchRoutes: RouteRecordRaw[] = [
  {
    path: 'search',
    name: 'search',
    component: () => import('./views/SearchView.vue'),
    meta: { title: 'search.title', permission: 'search:read' },
  },
]

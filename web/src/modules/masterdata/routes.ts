import type { RouteRecordRaw } from 'vue-router'

// The stewards' review queue of 人口库 (citybrain.datahub.masterdata, /api/v1/masterdata/review),
// in the data-hub menu group beside the 人口库 search.
export const masterdataRoutes: RouteRecordRaw[] = [
  {
    path: 'masterdata/review',
    name: 'masterdata-review',
    component: () => import('./views/ReviewQueueView.vue'),
    meta: {
      title: 'masterdataReview.title',
      permission: 'masterdata:review',
      menu: true,
      menuGroup: 'menu.datahub',
      icon: 'Connection',
      order: 45.5,
    },
  },
]

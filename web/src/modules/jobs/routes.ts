import type { RouteRecordRaw } from 'vue-router'

// The job system belongs to the backend's core (citybrain.core.jobs), API prefix /api/v1/jobs.
export const jobsRoutes: RouteRecordRaw[] = [
  {
    path: 'jobs',
    name: 'jobs',
    component: () => import('./views/JobRunsView.vue'),
    meta: { title: 'jobs.title', permission: 'jobs:read', menu: true, icon: 'Timer', order: 40 },
  },
]

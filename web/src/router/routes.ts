import type { RouteRecordRaw } from 'vue-router'
import AdminLayout from '@/layouts/AdminLayout.vue'
import { iamPublicRoutes, iamRoutes } from '@/modules/iam/routes'
import { regionsRoutes } from '@/modules/regions/routes'
import { auditRoutes } from '@/modules/audit/routes'
import { jobsRoutes } from '@/modules/jobs/routes'
import { indicatorsRoutes } from '@/modules/indicators/routes'
import { datahubPublicRoutes, datahubRoutes } from '@/modules/datahub/routes'
import { searchRoutes } from '@/modules/search/routes'
import { reportsRoutes } from '@/modules/reports/routes'
import { messagesRoutes } from '@/modules/messages/routes'
import { masterdataRoutes } from '@/modules/masterdata/routes'
import { boardsFullScreenRoutes, boardsRoutes } from '@/modules/boards/routes'

/** Layout children of every module, in menu order. */
export const moduleRoutes: RouteRecordRaw[] = [
  ...boardsRoutes,
  ...regionsRoutes,
  ...messagesRoutes,
  ...datahubRoutes,
  ...masterdataRoutes,
  ...reportsRoutes,
  ...iamRoutes,
  ...auditRoutes,
  ...jobsRoutes,
  ...indicatorsRoutes,
  ...searchRoutes,
]

export const routes: RouteRecordRaw[] = [
  ...iamPublicRoutes,
  ...datahubPublicRoutes,
  ...boardsFullScreenRoutes,
  {
    path: '/',
    component: AdminLayout,
    children: [
      {
        path: '',
        name: 'home',
        component: () => import('@/views/HomeView.vue'),
        meta: { title: 'menu.home', menu: true, icon: 'HomeFilled', order: 0 },
      },
      ...moduleRoutes,
      {
        path: 'forbidden',
        name: 'forbidden',
        component: () => import('@/views/ForbiddenView.vue'),
        meta: { title: 'menu.forbidden' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/NotFoundView.vue'),
        meta: { title: 'menu.notFound' },
      },
    ],
  },
]

import type { RouteRecordRaw } from 'vue-router'

// The command centre (citybrain.boards), API prefix /api/v1/boards: 板块导航 and 屏端管理 in
// the layout; each board full-screen at its own address, outside it.
export const boardsRoutes: RouteRecordRaw[] = [
  {
    path: 'boards',
    name: 'boards',
    component: () => import('./views/BoardsView.vue'),
    meta: { title: 'boards.title', permission: 'boards:view', menu: true, icon: 'DataBoard', order: 5 },
  },
]

export const boardsFullScreenRoutes: RouteRecordRaw[] = [
  {
    path: '/boards/:code',
    name: 'board',
    component: () => import('./views/BoardView.vue'),
    // public to the router: a wall signs in with its screen key (?key=), a person with a session;
    // the page itself sends whoever has neither to the login page
    meta: { title: 'boards.title', public: true },
  },
]

import type { RouteRecordRaw } from 'vue-router'

/** Pages outside the admin layout: sign-in and the steps a session must take first. */
export const iamPublicRoutes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('./views/LoginView.vue'),
    meta: { title: 'menu.login', public: true },
  },
  {
    path: '/password',
    name: 'password',
    component: () => import('./views/PasswordView.vue'),
    meta: { title: 'menu.password' },
  },
  {
    path: '/totp-setup',
    name: 'totp-setup',
    component: () => import('./views/TotpSetupView.vue'),
    meta: { title: 'menu.totpSetup' },
  },
]

/** Pages inside the admin layout. */
export const iamRoutes: RouteRecordRaw[] = [
  {
    path: 'iam/users',
    name: 'iam-users',
    component: () => import('./views/UsersView.vue'),
    meta: { title: 'menu.users', permission: 'iam:user_read', menu: true, menuGroup: 'menu.iam', icon: 'User', order: 20 },
  },
  {
    path: 'iam/roles',
    name: 'iam-roles',
    component: () => import('./views/RolesView.vue'),
    meta: { title: 'menu.roles', permission: ['iam:role_manage', 'iam:user_read'], menu: true, menuGroup: 'menu.iam', icon: 'Key', order: 21 },
  },
]

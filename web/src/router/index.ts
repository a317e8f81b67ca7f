import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteLocationRaw } from 'vue-router'
import './types'
import { routes } from './routes'
import { useAuthStore } from '@/stores/auth'
import { setUnauthorizedHandler } from '@/api/client'
import { t } from '@/i18n'

export const router = createRouter({
  history: createWebHistory(),
  routes,
})

/** Where a session must go before it may open ``to`` (null: it may open it). */
export async function guard(to: RouteLocationNormalized): Promise<RouteLocationRaw | true> {
  const auth = useAuthStore()
  if (to.meta.public) return true
  if (!auth.token) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  // A session that must change its password or enrol TOTP may do nothing else first.
  if (auth.pending.mustChangePassword) return to.name === 'password' ? true : { name: 'password' }
  if (auth.pending.totpSetupRequired) return to.name === 'totp-setup' ? true : { name: 'totp-setup' }
  if (!auth.me) {
    try {
      await auth.fetchMe()
    } catch {
      auth.clear()
      return { name: 'login', query: { redirect: to.fullPath } }
    }
  }
  if (!auth.can(to.meta.permission)) return { name: 'forbidden' }
  return true
}

router.beforeEach((to) => guard(to))

router.afterEach((to) => {
  const title = t('app.title')
  document.title = to.meta.title ? `${t(to.meta.title)} - ${title}` : title
})

// A 401 from any call (session expired, revoked, idle timeout) sends the user back to sign in.
setUnauthorizedHandler(() => {
  const auth = useAuthStore()
  const current = router.currentRoute.value
  auth.clear()
  if (current.name !== 'login') {
    void router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1' } })
  }
})

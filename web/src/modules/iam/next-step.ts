import type { RouteLocationRaw } from 'vue-router'
import type { PendingSteps } from '@/api/session'

/** After sign-in or a completed step: the next page the session must see. */
export function nextStep(pending: PendingSteps, redirect: unknown): RouteLocationRaw {
  if (pending.mustChangePassword) return { name: 'password' }
  if (pending.totpSetupRequired) return { name: 'totp-setup' }
  return typeof redirect === 'string' && redirect.startsWith('/') && !redirect.startsWith('//') ? redirect : '/'
}

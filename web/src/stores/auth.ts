import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { iamApi, type LoginRequest, type LoginResult, type Me } from '@/modules/iam/api'
import { loadPending, loadToken, savePending, saveToken, type PendingSteps } from '@/api/session'

/** A permission requirement: one code, or a list of which any one suffices. */
export type PermissionRequirement = string | readonly string[] | undefined | null

/** Pure check used by the store, the router guard, the menu and ``v-access``. */
export function satisfies(held: ReadonlySet<string>, required: PermissionRequirement): boolean {
  if (required === undefined || required === null) return true
  if (typeof required === 'string') return required === '' || held.has(required)
  return required.length === 0 || required.some((code) => held.has(code))
}

export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(loadToken())
  const me = ref<Me | null>(null)
  const regionName = ref('')
  const pending = ref<PendingSteps>(loadPending())

  const permissions = computed(() => new Set(me.value?.permissions ?? []))
  const isLoggedIn = computed(() => token.value !== null)

  function can(required: PermissionRequirement): boolean {
    return satisfies(permissions.value, required)
  }

  function setSession(newToken: string | null, steps?: PendingSteps): void {
    token.value = newToken
    saveToken(newToken)
    pending.value = steps ?? { mustChangePassword: false, totpSetupRequired: false }
    savePending(pending.value)
    me.value = null
    regionName.value = ''
  }

  async function login(request: LoginRequest): Promise<LoginResult> {
    const result = await iamApi.login(request)
    setSession(result.token, {
      mustChangePassword: result.must_change_password,
      totpSetupRequired: result.totp_setup_required,
    })
    return result
  }

  /** Load the signed-in user; /me is authoritative for the steps still pending. */
  async function fetchMe(): Promise<Me> {
    const user = await iamApi.me()
    me.value = user
    pending.value = { mustChangePassword: user.must_change_password, totpSetupRequired: user.totp_setup_required }
    savePending(pending.value)
    regionName.value = user.region_name // /me names the region, whatever the user may read
    return user
  }

  function completeStep(step: keyof PendingSteps): void {
    pending.value = { ...pending.value, [step]: false }
    savePending(pending.value)
  }

  async function logout(): Promise<void> {
    try {
      if (token.value) await iamApi.logout()
    } catch {
      // The session may already be gone; signing out locally is what matters.
    } finally {
      clear()
    }
  }

  /** Forget the session locally (after a 401 or a logout). */
  function clear(): void {
    setSession(null)
  }

  return { token, me, regionName, pending, permissions, isLoggedIn, can, login, fetchMe, completeStep, logout, clear, setSession }
})

// The session token lives in sessionStorage: it dies with the tab, as 等保 session rules expect.
const TOKEN_KEY = 'citybrain.token'
const PENDING_KEY = 'citybrain.pending'

/** Steps the backend demands before the session may do anything else. */
export interface PendingSteps {
  mustChangePassword: boolean
  totpSetupRequired: boolean
}

const NONE: PendingSteps = { mustChangePassword: false, totpSetupRequired: false }

export function loadToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY)
}

export function saveToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token)
  else sessionStorage.removeItem(TOKEN_KEY)
}

export function loadPending(): PendingSteps {
  const raw = sessionStorage.getItem(PENDING_KEY)
  if (!raw) return { ...NONE }
  try {
    return { ...NONE, ...(JSON.parse(raw) as Partial<PendingSteps>) }
  } catch {
    return { ...NONE }
  }
}

export function savePending(steps: PendingSteps): void {
  if (steps.mustChangePassword || steps.totpSetupRequired) {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(steps))
  } else {
    sessionStorage.removeItem(PENDING_KEY)
  }
}

/**
 * The OIDC callback redirects to ``/#/login?token=...`` (the token rides in the fragment, which
 * never reaches a server log). Take it from there once, at start-up, and clean the address bar.
 */
export function consumeFragmentToken(location: Location = window.location): boolean {
  const match = /^#\/?login\?(.*)$/.exec(location.hash)
  const token = match ? new URLSearchParams(match[1]).get('token') : null
  if (!token) return false
  saveToken(token)
  savePending({ mustChangePassword: false, totpSetupRequired: false })
  window.history.replaceState(null, '', location.pathname === '/login' ? '/' : location.pathname)
  return true
}

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
 * The OIDC callback redirects to ``/#/login?oidc_code=...``: a one-time code (valid for a minute,
 * usable once, kept only hashed by the backend), never the session token. Take it from the
 * fragment once, at start-up, and clean the address bar; ``main.ts`` trades it for the token by
 * POST (``/api/v1/iam/oidc/exchange``).
 */
export function takeOidcCode(location: Location = window.location): string | null {
  const match = /^#\/?login\?(.*)$/.exec(location.hash)
  const code = match ? new URLSearchParams(match[1]).get('oidc_code') : null
  if (!code) return null
  window.history.replaceState(null, '', location.pathname === '/login' ? '/' : location.pathname)
  return code
}

// A wall's screen key (屏端密钥), given once in the board address (?key=): kept for the tab so
// the board can rotate and reload without it in every address.
const SCREEN_KEY = 'citybrain.screenKey'

export function loadScreenKey(): string | null {
  return sessionStorage.getItem(SCREEN_KEY)
}

export function saveScreenKey(key: string | null): void {
  if (key) sessionStorage.setItem(SCREEN_KEY, key)
  else sessionStorage.removeItem(SCREEN_KEY)
}

/**
 * The one HTTP client of the front end: openapi-fetch typed by ``schema.d.ts``, which
 * ``npm run gen:api`` generates from the backend's ``/openapi.json``. Nothing here is hand-typed.
 */
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { loadScreenKey, loadToken } from './session'
import { toApiError } from './errors'

export type { paths, components } from './schema'
export type Schemas = import('./schema').components['schemas']

let onUnauthorized: (() => void) | null = null

/** The router registers how to go back to the login page when a session is gone (401). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler
}

/** Tell the router that the session is gone (also used by the upload helper in ``upload.ts``). */
export function notifyUnauthorized(): void {
  onUnauthorized?.()
}

// A failed login also answers 401; that one is shown on the login form instead.
const NO_REDIRECT_ON_401 = ['/api/v1/iam/login', '/api/v1/iam/oidc/exchange']

const auth: Middleware = {
  onRequest({ request }) {
    const token = loadToken()
    const screenKey = token ? null : loadScreenKey()
    if (token) request.headers.set('Authorization', `Bearer ${token}`)
    else if (screenKey) request.headers.set('X-API-Key', screenKey)
    return request
  },
  onResponse({ request, response }) {
    // A screen shows its own error (a revoked key) instead of a login page nobody will use.
    if (response.status === 401 && !loadScreenKey()) {
      const path = new URL(request.url, window.location.origin).pathname
      if (!NO_REDIRECT_ON_401.includes(path)) notifyUnauthorized()
    }
    return response
  },
}

export const api = createClient<paths>({ baseUrl: window.location.origin })
api.use(auth)

interface FetchResult<T> {
  data?: T
  error?: unknown
  response: Response
}

/** Awaits an openapi-fetch call and returns its data, or throws an ApiError with the backend message. */
export async function unwrap<T>(call: Promise<FetchResult<T>>, fallback = '请求失败'): Promise<T> {
  const { data, error, response } = await call
  if (!response.ok || error !== undefined) throw toApiError(response.status, error, fallback)
  return data as T
}

/**
 * A multipart body for openapi-fetch: the field names are checked against the generated body
 * schema (``K in keyof B``), the values travel as a FormData (files as Blobs).
 */
export function multipart<B extends object>(fields: { [K in keyof B]: Blob | string }): {
  body: B
  bodySerializer: () => FormData
} {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields) as Array<[string, Blob | string]>) form.append(name, value)
  return { body: fields as unknown as B, bodySerializer: () => form }
}

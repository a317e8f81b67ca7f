import { beforeEach, describe, expect, it } from 'vitest'
import { loadToken, takeOidcCode } from '@/api/session'

describe('takeOidcCode', () => {
  beforeEach(() => {
    sessionStorage.clear()
    window.history.replaceState(null, '', '/')
  })

  it('takes the one-time code from the fragment and cleans the address bar', () => {
    window.history.replaceState(null, '', '/#/login?oidc_code=abc123')
    expect(takeOidcCode()).toBe('abc123')
    expect(window.location.hash).toBe('')
    expect(loadToken()).toBeNull() // the code is not a token: main.ts exchanges it by POST
  })

  it('ignores a token in the fragment (the backend never sends one)', () => {
    window.history.replaceState(null, '', '/#/login?token=stolen')
    expect(takeOidcCode()).toBeNull()
    expect(loadToken()).toBeNull()
  })

  it('leaves other addresses alone', () => {
    window.history.replaceState(null, '', '/#/regions')
    expect(takeOidcCode()).toBeNull()
    expect(window.location.hash).toBe('#/regions')
  })
})

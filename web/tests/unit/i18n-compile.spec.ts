import { afterEach, describe, expect, it, vi } from 'vitest'
import { createI18n } from 'vue-i18n'
import zhCN from '@/i18n/locales/zh-CN'
import enUS from '@/i18n/locales/en-US'

type Tree = { [key: string]: string | Tree }

function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [prefix + k] : keys(v, `${prefix}${k}.`)))
}

describe('i18n message syntax', () => {
  afterEach(() => vi.restoreAllMocks())

  // Braces, "|" and "@" mean something to vue-i18n; a stray one breaks the message at run time.
  it('compiles every message in both languages', () => {
    const problems: string[] = []
    for (const [locale, messages] of [['zh-CN', zhCN], ['en-US', enUS]] as const) {
      const i18n = createI18n({ legacy: false, locale, messages: { [locale]: messages } })
      const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      for (const key of keys(messages as unknown as Tree)) {
        try {
          i18n.global.t(key, { n: 1 })
        } catch (err) {
          problems.push(`${locale} ${key}: ${String(err)}`)
        }
        for (const call of [...spy.mock.calls, ...warn.mock.calls]) problems.push(`${locale} ${key}: ${String(call[0])}`)
        spy.mockClear()
        warn.mockClear()
      }
    }
    expect(problems).toEqual([])
  })
})

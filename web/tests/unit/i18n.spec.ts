import { describe, expect, it } from 'vitest'
import zhCN from '@/i18n/locales/zh-CN'
import enUS from '@/i18n/locales/en-US'
import { routes } from '@/router/routes'
import type { RouteRecordRaw } from 'vue-router'

type Tree = { [key: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') out.set(path, value)
    else for (const [k, v] of flatten(value, path)) out.set(k, v)
  }
  return out
}

const zh = flatten(zhCN as unknown as Tree)
const en = flatten(enUS as unknown as Tree)

/** {placeholders} a message interpolates, sorted. */
function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort()
}

describe('i18n messages', () => {
  it('has every zh-CN key in en-US', () => {
    const missing = [...zh.keys()].filter((k) => !en.has(k))
    expect(missing).toEqual([])
  })

  it('has no en-US key that zh-CN lacks', () => {
    const extra = [...en.keys()].filter((k) => !zh.has(k))
    expect(extra).toEqual([])
  })

  it('has no empty message and the same placeholders in both languages', () => {
    for (const [key, message] of zh) {
      expect(message.trim(), key).not.toBe('')
      expect(en.get(key)?.trim(), key).not.toBe('')
      expect(placeholders(en.get(key) ?? ''), key).toEqual(placeholders(message))
    }
  })

  it('gives every route title as an existing key', () => {
    const titles: string[] = []
    const walk = (list: readonly RouteRecordRaw[]) => {
      for (const r of list) {
        if (r.meta?.title) titles.push(r.meta.title)
        if (r.meta?.menuGroup) titles.push(r.meta.menuGroup)
        if (r.children) walk(r.children)
      }
    }
    walk(routes)
    expect(titles.length).toBeGreaterThan(5)
    expect(titles.filter((k) => !zh.has(k))).toEqual([])
  })

  it('knows every literal key the sources pass to t()', () => {
    // Every source file as text, through Vite (no Node API needed).
    const sources = import.meta.glob<string>(['/src/**/*.vue', '/src/**/*.ts', '!/src/**/*.d.ts'], {
      query: '?raw',
      import: 'default',
      eager: true,
    })
    const files = Object.keys(sources)
    const unknown: string[] = []
    let seen = 0
    for (const [file, text] of Object.entries(sources)) {
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z][\w.]*)'/g)) {
        const key = m[1] ?? ''
        seen += 1
        if (!zh.has(key)) unknown.push(`${file}: ${key}`)
      }
    }
    expect(files.length).toBeGreaterThan(10)
    expect(seen).toBeGreaterThan(100)
    expect(unknown).toEqual([])
  })
})

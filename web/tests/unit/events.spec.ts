import { describe, expect, it } from 'vitest'
import { buildMenu } from '@/layouts/menu'
import { moduleRoutes, routes } from '@/router/routes'
import zhCN from '@/i18n/locales/zh-CN'
import type { Schemas } from '@/api/client'

function menuPaths(codes: string[]): string[] {
  return buildMenu(moduleRoutes, new Set(codes)).map((e) => ('path' in e ? e.path : e.title))
}

describe('events menu and routes', () => {
  it('shows 事件 to every holder of an events code, and to nobody else', () => {
    expect(menuPaths(['events:handle'])).toContain('/events')
    expect(menuPaths(['events:read'])).toContain('/events')
    expect(menuPaths(['reports:read'])).not.toContain('/events')
  })

  it('lets citizens report without login', () => {
    const report = routes.find((r) => r.name === 'citizen-report')
    expect(report?.meta?.public).toBe(true)
  })
})

describe('events labels', () => {
  it('names every status, action and channel the API knows in zh-CN', () => {
    const statuses: Schemas['EventStatus'][] = ['received', 'dispatched', 'accepted', 'handled', 'checked', 'closed', 'returned']
    const actions: Schemas['EventAction'][] = ['dispatch', 'accept', 'return', 'reassign', 'handle', 'check', 'check_fail', 'close']
    for (const s of statuses) expect(zhCN.events.statuses[s]).toBeTruthy()
    for (const a of actions) expect(zhCN.events.actions[a]).toBeTruthy()
    expect(Object.keys(zhCN.events.channels)).toHaveLength(7)
  })
})

import { describe, expect, it } from 'vitest'
import { buildMenu } from '@/layouts/menu'
import { moduleRoutes } from '@/router/routes'
import { formatDuration, outcomeTag } from '@/modules/jobs/labels'

function menuPaths(codes: string[]): string[] {
  return buildMenu(moduleRoutes, new Set(codes)).map((e) => ('path' in e ? e.path : e.title))
}

describe('jobs menu', () => {
  it('shows 任务运行 to holders of jobs:read only', () => {
    expect(menuPaths(['jobs:read'])).toContain('/jobs')
    expect(menuPaths(['regions:read', 'catalog:read'])).not.toContain('/jobs')
  })
})

describe('job run labels', () => {
  it('colours outcomes: done green, failed red, retrying amber, waiting grey', () => {
    expect(outcomeTag('ok')).toBe('success')
    expect(outcomeTag('failed')).toBe('danger')
    expect(outcomeTag('retrying')).toBe('warning')
    expect(outcomeTag('running')).toBe('primary')
    expect(outcomeTag('queued')).toBe('info')
  })

  it('formats durations as people read them', () => {
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration(850)).toBe('850 毫秒')
    expect(formatDuration(12_345)).toBe('12.3 秒')
    expect(formatDuration(245_000)).toBe('4 分 5 秒')
  })
})

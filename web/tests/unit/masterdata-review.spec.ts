import { describe, expect, it } from 'vitest'
import { buildMenu } from '@/layouts/menu'
import { moduleRoutes } from '@/router/routes'
import { differs, formatShare, formatWeight, statusTag } from '@/modules/masterdata/labels'
import zhCN from '@/i18n/locales/zh-CN'

function menuPaths(codes: string[]): string[] {
  return buildMenu(moduleRoutes, new Set(codes)).flatMap((e) => ('items' in e ? e.items.map((i) => i.path) : [e.path]))
}

describe('review queue menu', () => {
  it('shows 疑似重复人员 to data stewards (masterdata:review) only', () => {
    expect(menuPaths(['masterdata:review'])).toContain('/masterdata/review')
    expect(menuPaths(['masterdata:read'])).not.toContain('/masterdata/review')
  })

  it('names the two decisions as the stewards say them', () => {
    expect(zhCN.masterdataReview.merge).toBe('合并')
    expect(zhCN.masterdataReview.apart).toBe('不是同一人')
  })
})

describe('review labels', () => {
  it('colours statuses: pending amber, merged green, apart blue, the rest grey', () => {
    expect(statusTag('pending')).toBe('warning')
    expect(statusTag('merged')).toBe('success')
    expect(statusTag('apart')).toBe('primary')
    expect(statusTag('superseded')).toBe('info')
  })

  it('formats weights with a sign and shares as percentages', () => {
    expect(formatWeight(2.44)).toBe('+2.4')
    expect(formatWeight(-0.76)).toBe('-0.8')
    expect(formatWeight(0)).toBe('0.0')
    expect(formatShare(0.0021)).toBe('0.21%')
    expect(formatShare(null)).toBe('—')
  })

  it('marks a field as differing only when both sides have a value', () => {
    expect(differs('张*', '李*')).toBe(true)
    expect(differs('张*', '张*')).toBe(false)
    expect(differs(null, '张*')).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import { EXPORT_FORMATS } from '@/modules/audit/api'
import { exportFileName, groupActions, withCode } from '@/modules/audit/format'
import zhCN from '@/i18n/locales/zh-CN'

describe('audit page helpers', () => {
  it('names an export by format and local time', () => {
    expect(exportFileName('xlsx', new Date(2026, 11, 7, 9, 5, 3))).toBe('audit-20261207-090503.xlsx')
    expect(exportFileName('csv', new Date(2026, 0, 1, 0, 0, 0))).toBe('audit-20260101-000000.csv')
  })

  it('shows a title with its code beside it, and a bare code when untitled', () => {
    expect(withCode('创建用户', 'iam.user.create')).toBe('创建用户（iam.user.create）')
    expect(withCode('x.unknown', 'x.unknown')).toBe('x.unknown')
    expect(withCode('', 'x.unknown')).toBe('x.unknown')
  })

  it('groups actions by domain in their given order', () => {
    const groups = groupActions([
      { code: 'iam.login', title: '登录' },
      { code: 'sharing.deliver', title: '交付共享数据' },
      { code: 'iam.logout', title: '退出登录' },
    ])
    expect(groups.map((g) => [g.domain, g.items.map((i) => i.code)])).toEqual([
      ['iam', ['iam.login', 'iam.logout']],
      ['sharing', ['sharing.deliver']],
    ])
  })

  it('offers every export format by a Chinese name', () => {
    const formats = zhCN.audit.formats as Record<string, string>
    expect(EXPORT_FORMATS.map((f) => formats[f])).toEqual([
      'Excel 表格 (.xlsx)', 'CSV 文件 (.csv)', 'JSON Lines (.jsonl)',
    ])
  })
})

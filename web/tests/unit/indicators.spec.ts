import { describe, expect, it } from 'vitest'
import { diffLines, highlightSql } from '@/modules/indicators/sql-highlight'
import { runTag } from '@/modules/indicators/labels'

describe('highlightSql', () => {
  it('marks keywords, allowed functions, strings, numbers and comments', () => {
    const html = highlightSql("SELECT count(*) AS value FROM hub_a WHERE s = '在约' AND n > 2 -- 注释")
    expect(html).toContain('<span class="sql-keyword">SELECT</span>')
    expect(html).toContain('<span class="sql-function">count</span>')
    expect(html).toContain(`<span class="sql-string">'在约'</span>`)
    expect(html).toContain('<span class="sql-number">2</span>')
    expect(html).toContain('<span class="sql-comment">-- 注释</span>')
    expect(html).toContain('hub_a')
  })

  it('escapes markup so the editor cannot inject HTML', () => {
    expect(highlightSql('a < b <img src=x>')).not.toContain('<img')
  })
})

describe('diffLines', () => {
  it('keeps common lines and marks removed and added ones', () => {
    expect(diffLines('a\nb\nc', 'a\nx\nc')).toEqual([
      { mark: ' ', text: 'a' },
      { mark: '-', text: 'b' },
      { mark: '+', text: 'x' },
      { mark: ' ', text: 'c' },
    ])
  })
})

describe('runTag', () => {
  it('colours failures red and skips amber', () => {
    expect(runTag('timeout')).toBe('danger')
    expect(runTag('skipped')).toBe('warning')
    expect(runTag('ok')).toBe('success')
  })
})

describe('five-colour warnings', () => {
  it('paints the five colours, yellow with dark text, nothing for no colour', async () => {
    const { WARNING_COLOURS, colourHex, colourText } = await import('@/modules/indicators/labels')
    expect(WARNING_COLOURS).toEqual(['red', 'orange', 'yellow', 'blue', 'green'])
    expect(new Set(WARNING_COLOURS.map(colourHex)).size).toBe(5)
    expect(colourHex(null)).toBe('transparent')
    expect(colourText('yellow')).not.toBe(colourText('red'))
  })

  it('spots overlaps and gaps before the server does', async () => {
    const { bandsProblem } = await import('@/modules/indicators/labels')
    const ok = [
      { colour: 'green', lower: 90, upper: null },
      { colour: 'red', lower: null, upper: 60 },
      { colour: 'yellow', lower: 60, upper: 90 },
    ]
    expect(bandsProblem(ok)).toBeNull()
    expect(bandsProblem([{ colour: 'red', lower: null, upper: 60 }, { colour: 'green', lower: 50, upper: null }])).toBe('overlap')
    expect(bandsProblem([{ colour: 'red', lower: null, upper: 60 }, { colour: 'green', lower: 70, upper: null }])).toBe('gap')
    expect(bandsProblem([{ colour: 'red', lower: 0, upper: null }])).toBe('gap')
    expect(bandsProblem([])).toBe('gap')
  })

  it('names the pages and the colours in Chinese and tags statuses', async () => {
    const zhCN = (await import('@/i18n/locales/zh-CN')).default
    const { feedbackStatusTag, warningStatusTag } = await import('@/modules/indicators/labels')
    expect(zhCN.indicators.warningsTitle).toBe('五色预警')
    expect(zhCN.indicators.feedbackTitle).toBe('问题反馈')
    expect(zhCN.indicators.feedback.report).toBe('反馈问题')
    expect(zhCN.indicators.warnings.colours.orange).toBe('橙色')
    expect(warningStatusTag('open')).toBe('danger')
    expect(feedbackStatusTag('resolved')).toBe('success')
  })

  it('shows the warnings page to readers and feedback to filers or responders only', async () => {
    const { buildMenu } = await import('@/layouts/menu')
    const { moduleRoutes } = await import('@/router/routes')
    const paths = (codes: string[]): string[] =>
      buildMenu(moduleRoutes, new Set(codes)).flatMap((e) => ('items' in e ? e.items.map((i) => i.path) : [e.path]))
    expect(paths(['indicators:read'])).toContain('/indicators/warnings')
    expect(paths(['indicators:read'])).not.toContain('/indicators/feedback')
    expect(paths(['indicators:respond'])).toContain('/indicators/feedback')
  })
})

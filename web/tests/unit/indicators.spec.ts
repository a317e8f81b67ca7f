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

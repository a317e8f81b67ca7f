import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/errors'
import { usePagedQuery } from '@/composables/usePagedQuery'
import { setLocale } from '@/i18n'
import zhCN from '@/i18n/locales/zh-CN'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

interface Row {
  id: number
}

describe('usePagedQuery', () => {
  beforeEach(() => {
    vi.mocked(ElMessage.error).mockClear()
    setLocale('zh-CN')
  })

  it('load fills rows and total from the page asked for', async () => {
    const fetchPage = vi.fn(async (q: { q: string; page: number; size: number }) => ({
      items: [{ id: q.page * 10 }],
      total: 42,
    }))
    const { query, rows, total, loading, load } = usePagedQuery<{ q: string; page: number; size: number }, Row>(
      { q: 'x', page: 3, size: 20 },
      fetchPage,
    )
    expect(rows.value).toEqual([])
    expect(total.value).toBe(0)
    const done = load()
    expect(loading.value).toBe(true)
    await done
    expect(loading.value).toBe(false)
    expect(fetchPage).toHaveBeenCalledWith(expect.objectContaining({ q: 'x', page: 3, size: 20 }))
    expect(rows.value).toEqual([{ id: 30 }])
    expect(total.value).toBe(42)
    expect(query.page).toBe(3)
    expect(ElMessage.error).not.toHaveBeenCalled()
  })

  it('search resets the page to 1 and reloads', async () => {
    const fetchPage = vi.fn(async (q: { page: number; size: number }) => ({ items: [{ id: q.page }], total: 1 }))
    const { query, rows, search } = usePagedQuery<{ page: number; size: number }, Row>({ page: 5, size: 50 }, fetchPage)
    search()
    expect(query.page).toBe(1)
    await vi.waitFor(() => expect(rows.value).toEqual([{ id: 1 }]))
    expect(fetchPage).toHaveBeenCalledTimes(1)
    expect(fetchPage).toHaveBeenCalledWith(expect.objectContaining({ page: 1, size: 50 }))
  })

  it('shows the error message and leaves loading false when the fetch fails', async () => {
    const { rows, total, loading, load } = usePagedQuery<{ page: number; size: number }, Row>(
      { page: 1, size: 20 },
      () => Promise.reject(new ApiError(403, { code: 'forbidden', message: '权限不足' }, 'x')),
    )
    await load()
    expect(loading.value).toBe(false)
    expect(rows.value).toEqual([])
    expect(total.value).toBe(0)
    expect(ElMessage.error).toHaveBeenCalledWith('权限不足')
  })

  it('falls back to the translated "request failed" for an error without a message', async () => {
    const { loading, load } = usePagedQuery({ page: 1, size: 20 }, () => Promise.reject('boom'))
    await load()
    expect(loading.value).toBe(false)
    expect(ElMessage.error).toHaveBeenCalledWith(zhCN.common.requestFailed)
  })
})

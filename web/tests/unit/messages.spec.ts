import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { buildMenu } from '@/layouts/menu'
import { moduleRoutes } from '@/router/routes'
import { saveToken } from '@/api/session'
import { backoff, openStream, parseEvents, type StreamEvent } from '@/modules/messages/sse'
import { badgeText, channelFields, deliveryTag, kindTag } from '@/modules/messages/labels'
import { emptyAudience, hasAudience, parseVariables, splitCodes } from '@/modules/messages/audience'
import { useInboxStore } from '@/modules/messages/store'

function menuPaths(codes: string[]): string[] {
  return buildMenu(moduleRoutes, new Set(codes)).flatMap((e) => ('items' in e ? e.items.map((i) => i.path) : [e.path]))
}

describe('messages menu', () => {
  it('shows the inbox to every signed-in person, sending and set-up to their holders only', () => {
    expect(menuPaths(['iam:self'])).toContain('/messages/inbox')
    expect(menuPaths(['iam:self'])).not.toContain('/messages/send')
    expect(menuPaths(['messages:send'])).toContain('/messages/send')
    expect(menuPaths(['messages:send'])).not.toContain('/messages/channels')
    expect(menuPaths(['messages:admin'])).toEqual(expect.arrayContaining(['/messages/channels', '/messages/templates']))
  })
})

describe('the event-stream parser', () => {
  it('parses events across chunk boundaries, skips pings and keeps the rest', () => {
    const state = { buffer: '' }
    expect(parseEvents(state, 'event: unread\ndata: {"unr')).toEqual([])
    const events = parseEvents(state, 'ead": 2, "newest": null}\nretry: 5000\n\n: ping\n\nevent: end\r\ndata: {"code": "x"}\r\n\r\ndata: 1')
    expect(events).toEqual([
      { event: 'unread', data: { unread: 2, newest: null }, retry: 5000 },
      { event: 'end', data: { code: 'x' } },
    ])
    expect(state.buffer).toBe('data: 1')
  })

  it('joins multi-line data and falls back to text', () => {
    const state = { buffer: '' }
    expect(parseEvents(state, 'data: hello\ndata: world\n\n')).toEqual([{ event: 'message', data: 'hello\nworld' }])
  })

  it('backs off up to a minute', () => {
    expect(backoff(0)).toBe(3000)
    expect(backoff(1)).toBe(6000)
    expect(backoff(10)).toBe(60_000)
  })
})

describe('openStream', () => {
  beforeEach(() => saveToken('tok-123'))
  afterEach(() => {
    saveToken(null)
    vi.unstubAllGlobals()
  })

  it('sends the token in a header, never in the address, and stops at an end event', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('event: unread\ndata: {"unread": 1, "newest": null}\n\n'))
        controller.enqueue(new TextEncoder().encode('event: end\ndata: {"code": "session_revoked", "reconnect": false}\n\n'))
        controller.close()
      },
    })
    const fetchMock = vi.fn().mockResolvedValue(new Response(body, { status: 200 }))
    vi.stubGlobal('fetch', fetchMock)
    const seen: StreamEvent[] = []
    const handle = openStream('http://localhost/api/v1/messages/stream', (e) => seen.push(e))
    await vi.waitFor(() => expect(seen.map((e) => e.event)).toEqual(['unread', 'end']))
    await new Promise((r) => setTimeout(r, 20))
    handle.close()
    expect(fetchMock).toHaveBeenCalledTimes(1) // no reconnect after end
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit]
    expect(url).not.toContain('tok-123')
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok-123')
  })
})

describe('the inbox store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('counts arrivals only when a new message comes in', () => {
    const store = useInboxStore()
    const item = { message_id: 7, kind: 'warning', kind_title: '预警', title: 't', sender_name: 's', created_at: '', read_at: null, link: null }
    store.apply({ event: 'unread', data: { unread: 0, newest: null } })
    expect(store.arrivals).toBe(0)
    store.apply({ event: 'unread', data: { unread: 1, newest: item } })
    expect([store.unread, store.arrivals]).toEqual([1, 1])
    store.apply({ event: 'unread', data: { unread: 0, newest: null } }) // read elsewhere
    expect([store.unread, store.arrivals]).toEqual([0, 1])
    store.apply({ event: 'end', data: { code: 'session_revoked' } })
    expect(store.unread).toBe(0)
  })
})

describe('message labels and audience helpers', () => {
  it('colours kinds and delivery states', () => {
    expect(kindTag('warning')).toBe('danger')
    expect(kindTag('notice')).toBe('success')
    expect(deliveryTag('failed')).toBe('danger')
    expect(deliveryTag('sent')).toBe('success')
  })

  it('shows the badge only when something is unread', () => {
    expect(badgeText(0)).toBe('')
    expect(badgeText(5)).toBe('5')
    expect(badgeText(100)).toBe('99+')
  })

  it('asks each channel kind for its own fields', () => {
    expect(channelFields('email')).toEqual({ url: false, secret: true, smtp: true, format: false })
    expect(channelFields('wecom')).toEqual({ url: true, secret: false, smtp: false, format: true })
    expect(channelFields('webhook')).toEqual({ url: true, secret: true, smtp: false, format: false })
  })

  it('splits checked codes into regions and grids', () => {
    expect(splitCodes(['620722', '620722104', '620722104200001'])).toEqual({
      regions: ['620722', '620722104'],
      grids: ['620722104200001'],
    })
    expect(hasAudience(emptyAudience())).toBe(false)
    expect(hasAudience({ ...emptyAudience(), roles: ['leader'] })).toBe(true)
  })

  it('reads template variables as a JSON object only', () => {
    expect(parseVariables('')).toEqual({})
    expect(parseVariables('{"a": 1}')).toEqual({ a: 1 })
    expect(parseVariables('[1]')).toBeNull()
    expect(parseVariables('{oops')).toBeNull()
  })
})

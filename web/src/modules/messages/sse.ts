// The live inbox stream (GET /api/v1/messages/stream, text/event-stream). EventSource cannot send
// the bearer token, so the stream is read with fetch and parsed here; the token never goes into
// a URL. ``parseEvents`` is pure (unit-tested); ``openStream`` reconnects with back-off.
import { loadToken } from '@/api/session'
import { notifyUnauthorized } from '@/api/client'

export interface StreamEvent {
  event: string
  data: unknown
  id?: string
  retry?: number
}

/**
 * Feed a chunk of the stream; returns the complete events and keeps the rest in ``state.buffer``.
 * Comment lines (``: ping``) are skipped; ``data`` lines join with newlines and parse as JSON.
 */
export function parseEvents(state: { buffer: string }, chunk: string): StreamEvent[] {
  state.buffer += chunk.replace(/\r\n?/g, '\n')
  const events: StreamEvent[] = []
  let end = state.buffer.indexOf('\n\n')
  while (end >= 0) {
    const block = state.buffer.slice(0, end)
    state.buffer = state.buffer.slice(end + 2)
    end = state.buffer.indexOf('\n\n')
    const event: StreamEvent = { event: 'message', data: null }
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') event.event = value
      else if (field === 'data') data.push(value)
      else if (field === 'id') event.id = value
      else if (field === 'retry' && /^\d+$/.test(value)) event.retry = Number(value)
    }
    if (!data.length) continue
    try {
      event.data = JSON.parse(data.join('\n'))
    } catch {
      event.data = data.join('\n')
    }
    events.push(event)
  }
  return events
}

/** Wait before reconnect attempt ``n`` (0, 1, …): the server's hint, doubled, at most a minute. */
export function backoff(n: number, hint = 3000): number {
  return Math.min(60_000, hint * 2 ** Math.min(n, 5))
}

export interface StreamHandle {
  close: () => void
}

/**
 * Read the stream and hand every event to ``onEvent``; reconnect after a network failure or a
 * ``stream_timeout``, stop for good on 401/403 or an ``end`` event without ``reconnect``.
 */
export function openStream(url: string, onEvent: (event: StreamEvent) => void): StreamHandle {
  let closed = false
  let controller: AbortController | null = null
  let failures = 0
  let hint = 3000
  let timer: ReturnType<typeof setTimeout> | null = null

  async function connect(): Promise<void> {
    const token = loadToken()
    if (closed || !token) return
    controller = new AbortController()
    let again = true
    try {
      const response = await fetch(url, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
        signal: controller.signal,
        cache: 'no-store',
      })
      if (response.status === 401) {
        notifyUnauthorized()
        return
      }
      if (!response.ok || !response.body) throw new Error(`stream ${response.status}`)
      failures = 0
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      const state = { buffer: '' }
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        for (const event of parseEvents(state, decoder.decode(value, { stream: true }))) {
          if (event.retry) hint = event.retry
          if (event.event === 'end') {
            const data = event.data as { reconnect?: boolean } | null
            again = Boolean(data?.reconnect)
          }
          onEvent(event)
        }
      }
    } catch {
      failures += 1
    }
    // after a clean end (stream_timeout) a second's pause; after failures, back-off
    if (!closed && again) timer = setTimeout(() => void connect(), failures ? backoff(failures - 1, hint) : 1000)
  }

  void connect()
  return {
    close() {
      closed = true
      if (timer) clearTimeout(timer)
      controller?.abort()
    },
  }
}

// The unread badge of the page header: the count and the newest unread message, kept live by the
// inbox stream while the user is signed in (one stream per tab).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { openStream, type StreamEvent, type StreamHandle } from './sse'
import { messagesApi, type InboxItem } from './api'

const STREAM_URL = '/api/v1/messages/stream'

export const useInboxStore = defineStore('inbox', () => {
  const unread = ref(0)
  const newest = ref<InboxItem | null>(null)
  /** Bumped on every new message, so a page can reload its list. */
  const arrivals = ref(0)
  let handle: StreamHandle | null = null

  function apply(event: StreamEvent): void {
    if (event.event !== 'unread') return
    const data = event.data as { unread: number; newest: InboxItem | null }
    const arrived = data.newest !== null && data.newest.message_id !== newest.value?.message_id && data.unread > unread.value
    unread.value = data.unread
    newest.value = data.newest
    if (arrived) arrivals.value += 1
  }

  function start(): void {
    if (handle) return
    handle = openStream(window.location.origin + STREAM_URL, apply)
  }

  function stop(): void {
    handle?.close()
    handle = null
    unread.value = 0
    newest.value = null
  }

  /** After a read on this page: the stream will say so too, this makes it instant. */
  async function refresh(): Promise<void> {
    try {
      unread.value = (await messagesApi.unreadCount()).unread
    } catch {
      // the stream keeps the badge right anyway
    }
  }

  return { unread, newest, arrivals, start, stop, refresh, apply }
})

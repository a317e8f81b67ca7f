// Follows a running batch: polls its progress until it finishes, then calls back.
import { computed, onBeforeUnmount, ref } from 'vue'
import { ingestApi, type Progress } from './api'

const POLL_MS = 800

export function useBatchProgress(onFinished: (batchId: number) => void) {
  const progress = ref<Progress | null>(null)
  const following = ref<number | null>(null)
  let timer: ReturnType<typeof setTimeout> | null = null

  /** Percent done, or null while the total is unknown (an indeterminate bar). */
  const percent = computed(() => {
    const p = progress.value
    if (!p) return null
    if (p.finished) return 100
    return p.total ? Math.min(99, Math.round((p.done / p.total) * 100)) : null
  })

  function stop(): void {
    if (timer) clearTimeout(timer)
    timer = null
    following.value = null
  }

  async function tick(batchId: number): Promise<void> {
    try {
      progress.value = await ingestApi.progress(batchId)
    } catch {
      // A passing failure (a restart, the network): try again on the next tick.
    }
    if (following.value !== batchId) return
    if (progress.value?.finished) {
      stop()
      onFinished(batchId)
      return
    }
    timer = setTimeout(() => void tick(batchId), POLL_MS)
  }

  function follow(batchId: number): void {
    stop()
    progress.value = null
    following.value = batchId
    void tick(batchId)
  }

  onBeforeUnmount(stop)
  return { progress, percent, following, follow, stop }
}

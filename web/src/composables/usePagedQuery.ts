import { reactive, ref, type Ref } from 'vue'
import { ElMessage } from 'element-plus'
import { errorMessage } from '@/api/errors'
import { t } from '@/i18n'

/** One page of a list endpoint, as the backend's paged responses give it. */
export interface Page<T> {
  items: T[]
  total: number
}

export interface PagedQuery<Q, T> {
  /** The filters plus `page` / `size`, reactive: bind them to the inputs and the pager. */
  query: Q
  rows: Ref<T[]>
  total: Ref<number>
  loading: Ref<boolean>
  /** Fetches the current page; a failure shows the error message and keeps the old rows. */
  load: () => Promise<void>
  /** Back to page 1, then `load()`: for changed filters or page size. */
  search: () => void
}

/** The paged-list state every list page shares: filters, rows, total, loading and the error message. */
export function usePagedQuery<Q extends { page: number; size: number }, T>(
  initialQuery: Q,
  fetchPage: (q: Q) => Promise<Page<T>>,
): PagedQuery<Q, T> {
  const query = reactive(initialQuery) as Q
  const rows = ref([]) as Ref<T[]>
  const total = ref(0)
  const loading = ref(false)

  async function load(): Promise<void> {
    loading.value = true
    try {
      const page = await fetchPage(query)
      rows.value = page.items
      total.value = page.total
    } catch (err) {
      ElMessage.error(errorMessage(err, t('common.requestFailed')))
    } finally {
      loading.value = false
    }
  }

  function search(): void {
    query.page = 1
    void load()
  }

  return { query, rows, total, loading, load, search }
}

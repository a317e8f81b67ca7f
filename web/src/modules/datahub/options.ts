// What the datahub's forms and filters choose from: the catalogue's resources and their
// providers (departments). There is no department list API, so providers are gathered from the
// resources the caller may read. Loaded at most every half minute, shared by the components of
// a page (children mount before their page, so a per-page load would come too late).
import { computed, shallowRef } from 'vue'
import { catalogApi, type Resource } from './api'

const resources = shallowRef<Resource[]>([])
let pending: Promise<Resource[]> | null = null
let loadedAt = 0
const FRESH_MS = 30_000

async function fetchAll(): Promise<Resource[]> {
  const page = await catalogApi.resources({ page: 1, size: 500 })
  resources.value = page.items
  return page.items
}

export function useCatalogOptions() {
  const providers = computed(() => {
    const map = new Map<string, string>()
    for (const r of resources.value) map.set(r.provider_code, r.provider_name)
    return [...map].map(([code, name]) => ({ code, name })).sort((a, b) => a.code.localeCompare(b.code))
  })
  const byCode = computed(() => new Map(resources.value.map((r) => [r.code, r])))

  /** Loads the catalogue unless fresh (``force`` after an edit); errors leave the lists empty. */
  async function load(force = false): Promise<void> {
    if (!pending || force || Date.now() - loadedAt > FRESH_MS) {
      loadedAt = Date.now()
      pending = fetchAll().catch(() => [])
    }
    await pending
  }

  function providerName(code: string | null | undefined): string {
    if (!code) return '—'
    return providers.value.find((p) => p.code === code)?.name ?? code
  }

  function resourceName(code: string | null | undefined): string {
    if (!code) return '—'
    return byCode.value.get(code)?.name ?? code
  }

  return { resources, providers, byCode, load, providerName, resourceName }
}

import type { RouteRecordRaw } from 'vue-router'
import { satisfies } from '@/stores/auth'

export interface MenuItem {
  path: string
  title: string
  icon?: string
}

export interface MenuGroup {
  title: string
  icon?: string
  items: MenuItem[]
}

export type MenuEntry = MenuItem | MenuGroup

export function isGroup(entry: MenuEntry): entry is MenuGroup {
  return 'items' in entry
}

/**
 * The side menu: the layout's child routes marked ``menu``, kept only when the user holds their
 * permission, sorted by ``order`` and gathered under their ``menuGroup``.
 */
export function buildMenu(children: readonly RouteRecordRaw[], held: ReadonlySet<string>): MenuEntry[] {
  const visible = children
    .filter((r) => r.meta?.menu && satisfies(held, r.meta.permission))
    .sort((a, b) => (a.meta?.order ?? 0) - (b.meta?.order ?? 0))
  const entries: MenuEntry[] = []
  const groups = new Map<string, MenuGroup>()
  for (const route of visible) {
    const item: MenuItem = { path: '/' + route.path, title: route.meta?.title ?? '', icon: route.meta?.icon }
    const groupKey = route.meta?.menuGroup
    if (!groupKey) {
      entries.push(item)
      continue
    }
    let group = groups.get(groupKey)
    if (!group) {
      group = { title: groupKey, icon: route.meta?.icon, items: [] }
      groups.set(groupKey, group)
      entries.push(group)
    }
    group.items.push(item)
  }
  return entries
}

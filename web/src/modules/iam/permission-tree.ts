export interface PermissionLike {
  code: string
  title?: string | null
  domain?: string | null
}

export interface PermissionNode {
  id: string
  label: string
  code?: string
  children?: PermissionNode[]
}

/** The domain of a code ``<domain>:<verb>``, or the domain the backend gives. */
export function domainOf(permission: PermissionLike): string {
  return permission.domain || permission.code.split(':', 1)[0] || permission.code
}

/** Permissions grouped by domain for a checkbox tree; domains and codes sorted. */
export function permissionTree(
  permissions: readonly PermissionLike[],
  domainLabel: (domain: string) => string,
): PermissionNode[] {
  const byDomain = new Map<string, PermissionLike[]>()
  for (const p of permissions) {
    const domain = domainOf(p)
    byDomain.set(domain, [...(byDomain.get(domain) ?? []), p])
  }
  return [...byDomain.keys()].sort().map((domain) => ({
    id: `domain:${domain}`,
    label: domainLabel(domain),
    children: (byDomain.get(domain) ?? [])
      .slice()
      .sort((a, b) => a.code.localeCompare(b.code))
      .map((p) => ({ id: p.code, code: p.code, label: p.title ? `${p.title}（${p.code}）` : p.code })),
  }))
}

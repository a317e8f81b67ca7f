// Pure helpers of the audience picker (unit-tested).
import type { AudienceSpec } from './api'

/** Checked tree codes split into regions (with everything below) and grids (15-digit codes). */
export function splitCodes(codes: readonly string[]): { regions: string[]; grids: string[] } {
  const regions: string[] = []
  const grids: string[] = []
  for (const code of codes) (code.length === 15 ? grids : regions).push(code)
  return { regions, grids }
}

export function emptyAudience(): AudienceSpec {
  return { users: [], roles: [], regions: [], grids: [], tags: [] }
}

/** Whether anything is chosen (the backend refuses an empty audience too). */
export function hasAudience(audience: AudienceSpec): boolean {
  return [audience.users, audience.roles, audience.regions, audience.grids, audience.tags].some((part) => (part?.length ?? 0) > 0)
}

/** The template variables typed as JSON: an object, or null when it is not one. */
export function parseVariables(text: string): Record<string, unknown> | null {
  if (!text.trim()) return {}
  try {
    const value: unknown = JSON.parse(text)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

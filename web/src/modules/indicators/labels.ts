// How run statuses are shown (pure).
type TagType = 'success' | 'warning' | 'danger' | 'info' | 'primary'

export function runTag(status: string): TagType {
  switch (status) {
    case 'ok':
      return 'success'
    case 'failed':
    case 'timeout':
      return 'danger'
    case 'skipped':
      return 'warning'
    case 'running':
      return 'primary'
    default:
      return 'info'
  }
}

// 五色预警: the five colours as shown on chips (the national warning palette), worst first.
export const WARNING_COLOURS = ['red', 'orange', 'yellow', 'blue', 'green'] as const
export type Colour = (typeof WARNING_COLOURS)[number]

const HEX: Record<Colour, string> = {
  red: '#d93026',
  orange: '#f57c00',
  yellow: '#f2c200',
  blue: '#1e6fd9',
  green: '#2e9d4f',
}

export function colourHex(colour: string | null | undefined): string {
  return colour && colour in HEX ? HEX[colour as Colour] : 'transparent'
}

/** Yellow needs dark text to stay readable; the others take white. */
export function colourText(colour: string | null | undefined): string {
  return colour === 'yellow' ? '#3a3000' : '#ffffff'
}

export function warningStatusTag(status: string): TagType {
  return status === 'open' ? 'danger' : status === 'acknowledged' ? 'warning' : 'info'
}

export function feedbackStatusTag(status: string): TagType {
  switch (status) {
    case 'open':
      return 'danger'
    case 'assigned':
      return 'warning'
    case 'resolved':
      return 'success'
    default:
      return 'info'
  }
}

export interface Band {
  colour: string
  lower?: number | null
  upper?: number | null
}

/**
 * A first look at the bands before saving (the server decides, with the same codes): 'overlap',
 * 'gap' or null. Bands are [lower, upper); the lowest has no lower bound, the highest no upper.
 */
export function bandsProblem(bands: Band[]): 'overlap' | 'gap' | null {
  if (bands.length === 0) return 'gap'
  const low = (b: Band): number => (b.lower == null ? -Infinity : b.lower)
  const sorted = [...bands].sort((a, b) => low(a) - low(b))
  if (sorted[0]?.lower != null || sorted[sorted.length - 1]?.upper != null) return 'gap'
  for (const [i, band] of sorted.entries()) {
    if (i === 0) continue
    const below = sorted[i - 1]?.upper
    const above = band.lower
    if (below == null || above == null || below > above) return 'overlap'
    if (below < above) return 'gap'
  }
  return null
}

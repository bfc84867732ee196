/**
 * Text metrics and the lines drawn inside a state. Charts use one monospace font at fixed sizes,
 * so a text's width is its length times a constant: the layout needs no font files and no browser,
 * and the same graph always gets the same sizes (deterministic output).
 */
import type { ChartNode } from './chart-types.ts'

/** Font size of state names, px. */
export const TITLE_PX = 12
/** Font size of the lines inside a state and of edge labels, px. */
export const TEXT_PX = 10
/** Advance of one monospace character, as a fraction of the font size (0.6 em for common monospace fonts). */
const CHAR_EM = 0.6
/** Height of one line of TEXT_PX text, px. */
export const LINE_PX = 13
/** Height of a state's title row, px. */
export const TITLE_ROW_PX = 22
/** Inner horizontal padding of a state, px. */
export const PAD_X = 8

export const FONT_FAMILY = "'DejaVu Sans Mono', Menlo, Consolas, monospace"

export function textWidth(text: string, px: number): number {
  return Math.ceil([...text].length * px * CHAR_EM)
}

/** The lines listed under a state's name: its children actors, then what it handles in place. */
export function bodyLines(node: ChartNode): string[] {
  const lines = node.children.map((c) => `${c.how} ${c.id === '' || c.id === c.src ? c.src : `${c.id}: ${c.src}`}`)
  for (const h of node.inPlace) {
    const guarded = h.guards.some((g) => g !== '')
    lines.push(guarded ? `${h.trigger} [${h.guards.map((g) => (g === '' ? 'else' : g)).join(' | ')}]` : h.trigger)
  }
  return lines
}

/** The title shown for a state: its key, with `H`/`H*` for history states. */
export function titleOf(node: ChartNode): string {
  if (node.kind === 'history') return node.history === 'deep' ? 'H*' : 'H'
  return node.label
}

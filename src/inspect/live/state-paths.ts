/**
 * An actor's state value (XState's StateValue: 'running', { running: 'probing' }, or several
 * regions) as the page shows it: one line of text, and the ids of the chart's states that are
 * active (so the page can light them up). Pure.
 */
import type { StateValue } from 'xstate'
import type { ChartGraph } from '../chart-types.ts'

/** 'running', 'running.probing', and regions of a parallel state joined: 'a.x, b.y'. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null || typeof value !== 'object') return String(value)
  const parts: string[] = []
  for (const [key, sub] of Object.entries(value as Record<string, unknown>)) {
    const inner = stateText(sub)
    parts.push(inner === '' || (typeof sub === 'object' && sub !== null && Object.keys(sub).length === 0) ? key : `${key}.${inner}`)
  }
  return parts.join(', ')
}

/** Path of state keys below the root ('running.probing') -> the chart's state id. */
export type PathIndex = ReadonlyMap<string, string>

export function pathIndex(graph: ChartGraph): PathIndex {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]))
  const index = new Map<string, string>()
  for (const n of graph.nodes) {
    if (n.parent === null) continue
    const keys: string[] = []
    for (let p: typeof n | undefined = n; p !== undefined && p.parent !== null; p = byId.get(p.parent)) keys.unshift(p.label)
    index.set(keys.join('.'), n.id)
  }
  return index
}

/** The chart ids of every active state (ancestors included), outermost first. */
export function activeStateIds(value: StateValue | unknown, index: PathIndex): string[] {
  const out: string[] = []
  const walk = (v: unknown, prefix: string): void => {
    if (typeof v === 'string') {
      const id = index.get(prefix === '' ? v : `${prefix}.${v}`)
      if (id !== undefined) out.push(id)
      return
    }
    if (v === null || typeof v !== 'object') return
    for (const [key, sub] of Object.entries(v as Record<string, unknown>)) {
      const path = prefix === '' ? key : `${prefix}.${key}`
      const id = index.get(path)
      if (id !== undefined) out.push(id)
      walk(sub, path)
    }
  }
  walk(value, '')
  return out
}

/**
 * The charts the live page draws: those of the running actors the chart catalog knows (the
 * node's actors by their ids), laid out once by the offline renderer's own code.
 */
import { knownActors } from '../actor-catalog.ts'
import { buildCharts } from '../charts.ts'
import type { RenderedChart } from '../render-html.ts'

export async function liveCharts(actors: readonly string[]): Promise<Map<string, RenderedChart>> {
  const known = new Set(knownActors())
  const drawable = actors.filter((id) => known.has(id))
  const charts = await buildCharts(drawable)
  return new Map(charts.map((c) => [c.graph.actor, c]))
}

/** The node's actors in the catalog's order (swim first), then any others in the order given. */
export function catalogOrder(actors: readonly string[]): string[] {
  const order = new Map(knownActors().map((name, i) => [name, i]))
  const rank = (id: string): number => order.get(id) ?? order.size
  return actors.map((id, i) => ({ id, i })).sort((a, b) => rank(a.id) - rank(b.id) || a.i - b.i).map((x) => x.id)
}

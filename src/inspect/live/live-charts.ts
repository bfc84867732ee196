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

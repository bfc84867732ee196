/**
 * The charts of a set of actors in one format, as files to write: `<actor>.svg` each, one
 * `charts.html`, or `<actor>.json` each (the graph and its layout). Pure apart from loading the
 * definitions: the caller writes the files (src/cli/charts.ts).
 */
import { chartGraph } from './chart-graph.ts'
import { layoutChart } from './chart-layout.ts'
import { loadMachine } from './actor-catalog.ts'
import { renderSvgDocument } from './render-svg.ts'
import { renderHtmlPage, type RenderedChart } from './render-html.ts'

import type { ChartFormat } from './chart-types.ts'

export { CHART_FORMATS, type ChartFormat } from './chart-types.ts'

export interface ChartFile {
  /** File name (no folder). */
  name: string
  content: string
}

/** Builds and lays out the chart of each named actor, in the order given. */
export async function buildCharts(actors: readonly string[]): Promise<RenderedChart[]> {
  const charts: RenderedChart[] = []
  for (const name of actors) {
    const graph = chartGraph(name, await loadMachine(name))
    charts.push({ graph, layout: await layoutChart(graph) })
  }
  return charts
}

export function chartFiles(charts: readonly RenderedChart[], format: ChartFormat): ChartFile[] {
  switch (format) {
    case 'svg':
      return charts.map((c) => ({ name: `${c.graph.actor}.svg`, content: renderSvgDocument(c.graph, c.layout) }))
    case 'json':
      return charts.map((c) => ({ name: `${c.graph.actor}.json`, content: JSON.stringify({ graph: c.graph, layout: c.layout }, null, 2) + '\n' }))
    case 'html':
      return [{ name: 'charts.html', content: renderHtmlPage(charts) }]
  }
}

/**
 * One HTML page with every chart: a small index, then each chart as inline SVG. Self-contained:
 * no script, no external stylesheet, font or image, nothing fetched when the page is opened.
 */
import type { ChartGraph } from './chart-types.ts'
import type { ChartLayout } from './chart-layout.ts'
import { escapeXml, renderSvgElement, safeId } from './render-svg.ts'

const PAGE_STYLE = [
  'body{margin:0;padding:24px;background:#f1f5f9;color:#1f2933;font-family:system-ui,-apple-system,"Segoe UI",sans-serif}',
  'h1{font-size:22px;margin:0 0 4px}',
  'p.lead{margin:0 0 16px;color:#4b5563}',
  'nav ul{list-style:none;padding:0;margin:0 0 24px;display:flex;flex-wrap:wrap;gap:8px}',
  'nav a{display:inline-block;padding:4px 10px;border-radius:12px;background:#fff;border:1px solid #cbd5e1;color:#1f2933;text-decoration:none;font-size:14px}',
  'section{background:#fff;border:1px solid #cbd5e1;border-radius:8px;padding:16px;margin:0 0 24px}',
  'section h2{font-size:17px;margin:0 0 8px}',
  // A chart wider than the page is scaled down to fit (its viewBox keeps the proportions), never cut off.
  'section svg.chart{display:block;max-width:100%;height:auto}',
  '.legend{font-size:13px;color:#4b5563;margin:0 0 16px}',
  // Each legend entry stays on one line; the legend wraps between entries.
  '.legend span{margin-right:14px;display:inline-block}',
].join('\n')

export interface RenderedChart {
  graph: ChartGraph
  layout: ChartLayout
}

export function renderHtmlPage(charts: readonly RenderedChart[]): string {
  const index = charts
    .map(({ graph }) => `<li><a href="#actor-${safeId(graph.actor)}">${escapeXml(graph.actor)}</a></li>`)
    .join('')
  const sections = charts.map(({ graph, layout }) => {
    return [
      `<section id="actor-${safeId(graph.actor)}">`,
      // The name only: the chart's own caption below gives its counts.
      `<h2>${escapeXml(graph.actor)}</h2>`,
      renderSvgElement(graph, layout),
      '</section>',
    ].join('\n')
  })
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Gossamer statecharts</title>',
    `<style>\n${PAGE_STYLE}\n</style>`,
    '</head>',
    '<body>',
    '<h1>Gossamer statecharts</h1>',
    `<p class="lead">Each actor's machine, drawn from its definition. ${charts.length} charts.</p>`,
    '<p class="legend"><span>&#9679; initial state</span><span>double border: final</span><span>dashed box: parallel</span><span>dashed arrow: re-enters</span>' +
      '<span style="color:#1d4ed8">after: timer</span><span style="color:#047857">done: child finished</span><span style="color:#b91c1c">error: child failed</span><span style="color:#6b7280">always: eventless</span>' +
      '<span style="color:#7c3aed">invoke / spawn: child actors</span><span>lines in a state: children and events handled in place</span></p>',
    `<nav><ul>${index}</ul></nav>`,
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

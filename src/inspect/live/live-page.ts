/**
 * The live page: one self-contained HTML document (inline style and script, the charts as inline
 * SVG from the offline renderer; nothing is fetched but the page's own event stream). The server
 * renders the frame (header, member table, actor table, transition list, one card per actor with
 * its chart); page-script.ts fills it from the stream.
 */
import { escapeXml, renderSvgElement, safeId } from '../render-svg.ts'
import type { RenderedChart } from '../render-html.ts'
import { PAGE_SCRIPT } from './page-script.ts'

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#eef2f6;color:#1f2933;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif}
header{display:flex;align-items:baseline;gap:16px;padding:12px 24px;background:#1e293b;color:#f8fafc}
header h1{font-size:18px;margin:0}
header .node{font-size:15px;font-weight:600}
header .addr{color:#cbd5e1;font-family:monospace}
#conn{margin-left:auto;padding:2px 10px;border-radius:10px;background:#64748b;font-size:12px}
#conn[data-conn=live]{background:#15803d}
#conn[data-conn=reconnecting]{background:#b45309}
#conn[data-conn=closed]{background:#b91c1c}
main{padding:16px 24px}
.top{display:grid;grid-template-columns:minmax(280px,0.9fr) minmax(560px,1.7fr) minmax(360px,1.2fr);gap:16px;align-items:start}
.panel{overflow-x:auto}
.panel,section.actor{background:#fff;border:1px solid #cbd5e1;border-radius:8px;padding:12px 14px}
h2{font-size:15px;margin:0 0 8px}
h2 small{font-weight:normal;color:#64748b}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 8px 3px 0;border-bottom:1px solid #e2e8f0;font-variant-numeric:tabular-nums;vertical-align:top}
thead th{color:#64748b;font-weight:600;font-size:12px}
#members td.status{font-weight:600}
#actors{font-size:13px}
#actors td.state{font-family:monospace;font-size:12px;font-weight:600;max-width:240px;overflow-wrap:anywhere}
#actors td.name{white-space:nowrap}
#members tr[data-status=alive] td.status{color:#15803d}
#members tr[data-status=leaving] td.status{color:#b45309}
#members tr[data-status=left] td.status{color:#64748b}
#members tr[data-status=failed] td.status{color:#b91c1c}
#members tr[data-status=failed]{background:#fef2f2}
#members tr[data-status=left]{color:#64748b}
#members td.addr,#members td.tags{font-family:monospace;font-size:12px}
#actors tr.warn td.restarts,#actors tr.warn td.overflows{color:#b91c1c;font-weight:600}
#actors tr[data-status=restarting] td.status,#actors tr[data-status=escalated] td.status{color:#b91c1c}
#actors td.name a{color:#1d4ed8;text-decoration:none}
#stream{max-height:360px;overflow-y:auto}
#transitions{list-style:none;margin:0;padding:0;font-family:monospace;font-size:12px}
#transitions li{padding:2px 0;border-bottom:1px solid #f1f5f9;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#transitions time{color:#64748b;margin-right:6px}
#transitions .actor{color:#7c3aed;margin-right:6px}
#transitions .event{color:#1f2933}
#transitions .arrow{color:#94a3b8;margin:0 4px}
#transitions .to{color:#15803d;font-weight:600}
#transitions .skipped{color:#b45309;margin-left:6px}
#cards{display:flex;flex-direction:column;gap:16px;margin-top:16px}
section.actor h3{margin:0 0 4px;font-size:16px;display:flex;gap:12px;align-items:baseline}
section.actor h3 .state{font-family:monospace;font-size:13px;background:#fef3c7;border:1px solid #f59e0b;border-radius:4px;padding:1px 6px}
section.actor .figures{margin:0 0 8px;color:#475569}
section.actor details{margin:0 0 8px}
section.actor summary{cursor:pointer;color:#475569}
table.counters{width:auto;font-size:12px;margin-top:4px;columns:3}
table.counters th{font-weight:normal;color:#475569;padding-right:12px}
.chart-wrap{overflow:auto;max-height:900px;border-top:1px solid #e2e8f0;padding-top:8px}
.chart-wrap svg rect.state.active{fill:#fde68a !important;stroke:#d97706 !important;stroke-width:3 !important}
.chart-wrap svg rect.state.active-path{stroke:#d97706 !important;stroke-width:2 !important}
footer{padding:8px 24px 24px;color:#64748b;font-size:12px}
`

export interface LivePageInput {
  node: string
  address: string
  /** The actors that run, in the system's order. */
  actors: readonly string[]
  /** Charts of those actors the catalog can draw. */
  charts: ReadonlyMap<string, RenderedChart>
}

function actorCard(id: string, chart: RenderedChart | undefined): string {
  const parts = [
    `<section class="actor${chart === undefined ? ' no-chart' : ''}" id="actor-${safeId(id)}" data-actor="${escapeXml(id)}" data-state="">`,
    `<h3><span class="name">${escapeXml(id)}</span><span class="state"></span></h3>`,
    '<p class="figures"></p>',
    '<details><summary>counters</summary><table class="counters"></table></details>',
  ]
  if (chart !== undefined) parts.push(`<div class="chart-wrap">${renderSvgElement(chart.graph, chart.layout, `live-${safeId(id)}`)}</div>`)
  parts.push('</section>')
  return parts.join('\n')
}

export function renderLivePage(input: LivePageInput): string {
  const rows = input.actors
    .map((id) => `<tr data-actor="${escapeXml(id)}"><td class="name"><a href="#actor-${safeId(id)}">${escapeXml(id)}</a></td><td class="state"></td><td class="status"></td><td class="mailbox"></td><td class="restarts"></td><td class="overflows"></td><td class="transitions"></td></tr>`)
    .join('\n')
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(input.node)} · Gossamer live</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<header><h1>Gossamer</h1><span class="node">${escapeXml(input.node)}</span><span class="addr">${escapeXml(input.address)}</span><span id="conn" data-conn="connecting">connecting…</span></header>`,
    '<main>',
    '<div class="top">',
    '<div class="panel"><h2>Members <small id="member-count"></small></h2><table id="members"><thead><tr><th>name</th><th>address</th><th>status</th><th>tags</th></tr></thead><tbody></tbody></table></div>',
    '<div class="panel"><h2>Actors <small>state, mailbox depth, restarts, overflows</small></h2><table id="actors"><thead><tr><th>actor</th><th>state</th><th>status</th><th>mailbox</th><th>restarts</th><th>overflows</th><th>transitions</th></tr></thead>',
    `<tbody>${rows}</tbody></table></div>`,
    '<div class="panel"><h2>Transitions <small>newest first, throttled per actor</small></h2><div id="stream"><ol id="transitions"></ol></div></div>',
    '</div>',
    `<div id="cards">${input.actors.map((id) => actorCard(id, input.charts.get(id))).join('\n')}</div>`,
    '</main>',
    '<footer id="server"></footer>',
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

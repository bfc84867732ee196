/**
 * A laid-out chart as one standalone SVG document: no script, no external font, stylesheet or URL
 * (the only namespace is SVG's own). States are rounded rectangles (final states with a double
 * border, parallel regions dashed, history states as circles), initial states are pointed at from
 * a filled dot, transitions are polylines with an arrowhead and their label. `idPrefix` keeps the
 * ids of several charts on one HTML page apart.
 */
import type { ChartGraph, ChartNode, TriggerKind } from './chart-types.ts'
import type { ChartLayout } from './chart-layout.ts'
import { stateCount } from './chart-graph.ts'
import { FONT_FAMILY, LINE_PX, PAD_X, TEXT_PX, TITLE_PX, TITLE_ROW_PX, bodyLines, textWidth, titleOf } from './chart-text.ts'

/** Margin around the drawing, px (room for the caption above it). */
const MARGIN = 12
const CAPTION_PX = 26

/** Colours of transition labels by trigger, so timers, eventless and child outcomes stand out. */
const TRIGGER_COLOUR: Record<TriggerKind, string> = {
  event: '#1f2933',
  always: '#6b7280',
  after: '#1d4ed8',
  done: '#047857',
  'state-done': '#047857',
  error: '#b91c1c',
  snapshot: '#7c3aed',
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'))
}

/** Ids usable in XML: the actor name with anything else than [A-Za-z0-9_-] replaced. */
export function safeId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_')
}

const fmt = (n: number): string => String(Math.round(n * 100) / 100)

function stateShape(node: ChartNode, box: { x: number; y: number; width: number; height: number }, compound: boolean): string[] {
  const out: string[] = []
  const { x, y, width: w, height: h } = box
  const title = escapeXml(titleOf(node))
  if (node.kind === 'history') {
    const r = Math.min(w, h) / 2
    out.push(`<circle class="state history" cx="${fmt(x + w / 2)}" cy="${fmt(y + h / 2)}" r="${fmt(r)}"/>`)
    out.push(`<text class="title" x="${fmt(x + w / 2)}" y="${fmt(y + h / 2 + 4)}" text-anchor="middle">${title}</text>`)
    return out
  }
  const cls = `state ${node.kind}${node.depth === 0 ? ' root' : ''}`
  out.push(`<rect class="${cls}" x="${fmt(x)}" y="${fmt(y)}" width="${fmt(w)}" height="${fmt(h)}" rx="8" ry="8"><title>${escapeXml(node.id)}</title></rect>`)
  if (node.kind === 'final') out.push(`<rect class="final-inner" x="${fmt(x + 3)}" y="${fmt(y + 3)}" width="${fmt(w - 6)}" height="${fmt(h - 6)}" rx="6" ry="6"/>`)
  out.push(`<text class="title" x="${fmt(x + PAD_X)}" y="${fmt(y + 15)}">${title}${node.kind === 'parallel' ? ' <tspan class="note">(parallel)</tspan>' : ''}</text>`)
  const lines = bodyLines(node)
  if (lines.length > 0) {
    if (!compound) out.push(`<line class="rule" x1="${fmt(x)}" y1="${fmt(y + TITLE_ROW_PX)}" x2="${fmt(x + w)}" y2="${fmt(y + TITLE_ROW_PX)}"/>`)
    // The first lines name the state's child actors (bodyLines lists them first): set apart in colour.
    lines.forEach((line, i) => {
      const cls = i < node.children.length ? 'line child' : 'line'
      out.push(`<text class="${cls}" x="${fmt(x + PAD_X)}" y="${fmt(y + TITLE_ROW_PX + 11 + i * LINE_PX)}">${escapeXml(line)}</text>`)
    })
  }
  return out
}

function style(p: string): string {
  return [
    `#${p} text{font-family:${FONT_FAMILY};fill:#1f2933}`,
    `#${p} .caption{font-size:14px;font-weight:bold}`,
    `#${p} .title{font-size:${TITLE_PX}px;font-weight:bold}`,
    `#${p} .note{font-weight:normal;fill:#6b7280}`,
    `#${p} .line{font-size:${TEXT_PX}px;fill:#4b5563}`,
    `#${p} .line.child{fill:#7c3aed}`,
    `#${p} .label{font-size:${TEXT_PX}px}`,
    `#${p} .state{fill:#f8fafc;stroke:#334155;stroke-width:1.2}`,
    `#${p} .state.compound,#${p} .state.parallel{fill:#eef2f7}`,
    `#${p} .state.root{fill:#ffffff;stroke:#94a3b8}`,
    `#${p} .state.parallel{stroke-dasharray:6 3}`,
    `#${p} .final-inner{fill:none;stroke:#334155;stroke-width:1.2}`,
    `#${p} .rule{stroke:#cbd5e1}`,
    `#${p} .edge{fill:none;stroke:#475569;stroke-width:1.1}`,
    `#${p} .edge.reenter{stroke-dasharray:4 2}`,
    `#${p} .label-bg{fill:#ffffff;fill-opacity:0.85}`,
    `#${p} .marker{fill:#1f2933}`,
  ].join('')
}

/** The SVG element of one chart (no XML declaration: also used inline in HTML). */
export function renderSvgElement(graph: ChartGraph, layout: ChartLayout, idPrefix = `chart-${safeId(graph.actor)}`): string {
  const p = idPrefix
  const states = stateCount(graph)
  const caption = `${graph.actor}: ${states} ${states === 1 ? 'state' : 'states'}, ${graph.transitions} transitions (${graph.edges.length} drawn, the rest handled in place)`
  // Wide enough for the caption too (a one-state chart is narrower than its caption).
  const width = Math.max(layout.width, textWidth(caption, 14)) + 2 * MARGIN
  const height = layout.height + 2 * MARGIN + CAPTION_PX
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" id="${p}" class="chart" width="${fmt(width)}" height="${fmt(height)}" viewBox="0 0 ${fmt(width)} ${fmt(height)}" role="img" aria-label="${escapeXml(`statechart of ${graph.actor}`)}">`)
  out.push(`<style>${style(p)}</style>`)
  out.push(`<defs><marker id="${p}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>`)
  out.push(`<rect x="0" y="0" width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff"/>`)
  out.push(`<text class="caption" x="${MARGIN}" y="${MARGIN + 12}">${escapeXml(caption)}</text>`)
  out.push(`<g transform="translate(${MARGIN},${MARGIN + CAPTION_PX})">`)
  const byId = new Map(graph.nodes.map((n) => [n.id, n]))
  const parents = new Set(graph.nodes.map((n) => n.parent))
  for (const box of layout.nodes) {
    const node = byId.get(box.id)
    if (node !== undefined) out.push(...stateShape(node, box, parents.has(node.id)))
  }
  for (const m of layout.markers) {
    out.push(`<circle class="marker" cx="${fmt(m.x + m.width / 2)}" cy="${fmt(m.y + m.height / 2)}" r="${fmt(m.width / 2)}"><title>initial: ${escapeXml(m.target)}</title></circle>`)
  }
  const edgeById = new Map(graph.edges.map((e) => [e.id, e]))
  for (const e of layout.edges) {
    if (e.points.length < 2) continue
    const d = e.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${fmt(x)},${fmt(y)}`).join(' ')
    const edge = edgeById.get(e.id)
    const cls = edge?.reenter === true ? 'edge reenter' : 'edge'
    out.push(`<path class="${cls}" d="${d}" marker-end="url(#${p}-arrow)"/>`)
    if (edge !== undefined && e.label !== undefined) {
      const l = e.label
      out.push(`<rect class="label-bg" x="${fmt(l.x)}" y="${fmt(l.y)}" width="${fmt(l.width)}" height="${fmt(l.height)}"/>`)
      out.push(`<text class="label" x="${fmt(l.x + 2)}" y="${fmt(l.y + l.height - 3)}" fill="${TRIGGER_COLOUR[edge.trigger]}" style="fill:${TRIGGER_COLOUR[edge.trigger]}">${escapeXml(edge.label)}</text>`)
    }
  }
  out.push('</g></svg>')
  return out.join('\n')
}

/** A standalone SVG file. */
export function renderSvgDocument(graph: ChartGraph, layout: ChartLayout): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderSvgElement(graph, layout)}\n`
}

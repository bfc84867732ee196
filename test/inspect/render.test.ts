/**
 * The drawings: the same machines give byte-identical files, the SVG and HTML are well-formed and
 * self-contained (no script, no URL but the SVG namespace and in-document references), and the
 * layout keeps every state inside its parent and draws every transition.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { buildCharts, chartFiles } from '../../src/inspect/charts.ts'
import { knownActors, machineOf } from '../../src/inspect/actor-catalog.ts'
import { layoutChart } from '../../src/inspect/chart-layout.ts'
import type { ChartGraph } from '../../src/inspect/chart-types.ts'
import { and, setup, type AnyStateMachine } from 'xstate'
import { chartGraph } from '../../src/inspect/chart-graph.ts'
import { renderSvgDocument } from '../../src/inspect/render-svg.ts'
import type { RenderedChart } from '../../src/inspect/render-html.ts'
import { xmlProblems } from './xml-check.ts'

let charts: RenderedChart[]
beforeAll(async () => {
  charts = await buildCharts(knownActors())
})

/** Every http(s) URL in a file must be a namespace name; every url(...) / href an in-document #reference. */
function externalRefs(text: string): string[] {
  const urls = [...text.matchAll(/https?:\/\/[^"'\s)]+/g)].map((m) => m[0]).filter((u) => u !== 'http://www.w3.org/2000/svg')
  const refs = [...text.matchAll(/(?:url\(|href=")([^)"]*)/g)].map((m) => m[1]!).filter((r) => !r.startsWith('#'))
  return [...urls, ...refs]
}

describe('the well-formedness check itself', () => {
  it('finds unclosed and crossed tags, unquoted attributes, raw < and bare &', () => {
    expect(xmlProblems('<svg><g></svg>').problems).not.toEqual([])
    expect(xmlProblems('<svg><g></g>').problems).toEqual(['unclosed: svg'])
    expect(xmlProblems('<svg width=10></svg>').problems).not.toEqual([])
    expect(xmlProblems('<svg><text>a < b</text></svg>').problems).not.toEqual([])
    expect(xmlProblems('<svg><text>a & b</text></svg>').problems).not.toEqual([])
    expect(xmlProblems('<svg><text x="1">a &amp; b &lt;</text><rect/></svg>').problems).toEqual([])
  })
})

describe('chart files', () => {
  it('are byte-identical when rendered twice from fresh machines (svg, html, json)', async () => {
    const again = await buildCharts(knownActors())
    for (const format of ['svg', 'html', 'json'] as const) {
      const a = chartFiles(charts, format)
      const b = chartFiles(again, format)
      expect(b.map((f) => f.name)).toEqual(a.map((f) => f.name))
      for (let i = 0; i < a.length; i++) expect(b[i]!.content === a[i]!.content, `${format} ${a[i]!.name}`).toBe(true)
    }
  })

  it('SVG files are well-formed, self-contained, and draw every state and every edge', () => {
    const files = chartFiles(charts, 'svg')
    expect(files.map((f) => f.name)).toEqual(knownActors().map((a) => `${a}.svg`))
    for (const [i, f] of files.entries()) {
      const { graph } = charts[i]!
      expect(f.content.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
      const { problems, tags } = xmlProblems(f.content)
      expect(problems, f.name).toEqual([])
      expect(tags).not.toContain('script')
      expect(tags).not.toContain('foreignObject')
      expect(externalRefs(f.content), f.name).toEqual([])
      expect(f.content).not.toMatch(/@import|@font-face|on[a-z]+="/)
      // One rect with a <title> per state (history states are circles), one path per edge.
      const titled = [...f.content.matchAll(/<title>([^<]*)<\/title><\/rect>/g)].map((m) => m[1])
      expect(titled).toEqual(graph.nodes.filter((n) => n.kind !== 'history').map((n) => n.id))
      expect(f.content.match(/<path class="edge/g)?.length ?? 0).toBe(graph.edges.length + charts[i]!.layout.markers.length)
      for (const e of graph.edges) expect(f.content).toContain(`>${e.label.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</text>`)
      // The caption names the counts and fits the drawing (one-state charts are narrower than it).
      const caption = /<text class="caption"[^>]*>([^<]*)<\/text>/.exec(f.content)![1]!
      const states = graph.nodes.length === 1 ? '1 state' : `${graph.nodes.length - 1} states`
      expect(caption).toBe(`${graph.actor}: ${states}, ${graph.transitions} transitions (${graph.edges.length} drawn, the rest handled in place)`)
      expect(Number(/ width="([\d.]+)"/.exec(f.content)![1])).toBeGreaterThanOrEqual(caption.length * 14 * 0.6)
      // Final states get the double border.
      expect(f.content.match(/class="final-inner"/g)?.length ?? 0).toBe(graph.nodes.filter((n) => n.kind === 'final').length)
    }
  })

  it('the HTML page holds every chart inline, an index to each, and nothing external', () => {
    const [page] = chartFiles(charts, 'html')
    expect(page!.name).toBe('charts.html')
    const { problems, tags } = xmlProblems(page!.content.replace('<!DOCTYPE html>', ''), { html: true })
    expect(problems).toEqual([])
    expect(tags).not.toContain('script')
    expect(tags).not.toContain('link')
    expect(tags.filter((t) => t === 'svg')).toHaveLength(knownActors().length)
    expect(externalRefs(page!.content)).toEqual([])
    for (const a of knownActors()) {
      expect(page!.content).toContain(`<a href="#actor-${a}">${a}</a>`)
      expect(page!.content).toContain(`<section id="actor-${a}">`)
    }
    // Marker ids are per chart: no id is defined twice on the page.
    const ids = [...page!.content.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('JSON holds the graph and its layout; states nest inside their parents; every edge has a polyline', () => {
    for (const [i, f] of chartFiles(charts, 'json').entries()) {
      const { graph, layout } = JSON.parse(f.content) as RenderedChart
      expect(graph).toEqual(charts[i]!.graph)
      const boxes = new Map(layout.nodes.map((n) => [n.id, n]))
      expect([...boxes.keys()]).toEqual(graph.nodes.map((n) => n.id))
      for (const n of graph.nodes) {
        const box = boxes.get(n.id)!
        expect(box.width).toBeGreaterThan(0)
        if (n.parent === null) continue
        const p = boxes.get(n.parent)!
        expect(box.x >= p.x && box.y >= p.y && box.x + box.width <= p.x + p.width + 0.01 && box.y + box.height <= p.y + p.height + 0.01, `${n.id} inside ${n.parent}`).toBe(true)
      }
      const laid = new Map(layout.edges.map((e) => [e.id, e]))
      for (const e of graph.edges) {
        expect(laid.get(e.id)?.points.length ?? 0, `${graph.actor} ${e.id}`).toBeGreaterThanOrEqual(2)
        expect(laid.get(e.id)?.label).toBeDefined()
      }
      // One initial marker per compound state that has an initial child (parallel regions have none).
      const compoundWithInitial = new Set(graph.nodes.filter((n) => n.initial).map((n) => n.parent))
      expect(layout.markers.map((m) => m.target).sort()).toEqual(graph.nodes.filter((n) => n.initial && compoundWithInitial.has(n.parent)).map((n) => n.id).sort())
    }
  })
})

describe('layout', () => {
  it("swim reads top-down in the order it moves: configured, binding, starting, running, leaving, left, then stopped", () => {
    const swim = charts.find((c) => c.graph.actor === 'swim')!
    const top = (id: string) => swim.layout.nodes.find((n) => n.id === `swim.${id}`)!.y
    const order = ['configured', 'binding', 'starting', 'running', 'leaving', 'left', 'stopped']
    for (let i = 1; i < order.length; i++) expect(top(order[i]!), `${order[i]} below ${order[i - 1]}`).toBeGreaterThan(top(order[i - 1]!))
  })

  it('a graph elkjs cannot lay out (an edge to no state) is ERR_CHARTS_LAYOUT naming the actor', async () => {
    const broken: ChartGraph = {
      actor: 'broken',
      machine: 'broken',
      transitions: 1,
      nodes: [
        { id: 'broken', label: 'broken', kind: 'compound', parent: null, depth: 0, initial: false, children: [], inPlace: [], tags: [] },
        { id: 'broken.a', label: 'a', kind: 'atomic', parent: 'broken', depth: 1, initial: true, children: [], inPlace: [], tags: [] },
      ],
      edges: [{ id: 'e0', source: 'broken.a', target: 'broken.nowhere', event: 'go', trigger: 'event', label: 'go', reenter: false }],
    }
    await expect(layoutChart(broken)).rejects.toMatchObject({ code: 'ERR_CHARTS_LAYOUT', details: { actor: 'broken' } })
  })

  it('a machine factory that throws is ERR_CHARTS_MACHINE naming the actor', () => {
    const def = {
      name: 'needs-io',
      machine: (): AnyStateMachine => {
        throw new Error('no socket here')
      },
    }
    expect(() => machineOf(def)).toThrow(expect.objectContaining({ code: 'ERR_CHARTS_MACHINE', message: expect.stringContaining('needs-io') }))
  })
})

describe('text from the machine is escaped', () => {
  it('guards with && and state names with < > & " stay well-formed SVG', async () => {
    const m = setup({ guards: { a: () => true, b: () => true } }).createMachine({
      id: 'esc',
      initial: 'x<y',
      states: { 'x<y': { on: { go: { guard: and(['a', 'b']), target: 'a&"b"' } } }, 'a&"b"': { type: 'final' } },
    })
    const graph = chartGraph('esc', m)
    const svg = renderSvgDocument(graph, await layoutChart(graph))
    expect(xmlProblems(svg).problems).toEqual([])
    expect(svg).toContain('>go [a &amp;&amp; b]</text>')
    expect(svg).toContain('>x&lt;y</text>')
    expect(svg).toContain('<title>esc.a&amp;&quot;b&quot;</title>')
  })
})

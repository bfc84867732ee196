/**
 * Lays a ChartGraph out with elkjs (Eclipse Layout Kernel, layered algorithm, hierarchy handled
 * across nested states) in its bundled form: it runs in this thread, offline, no web worker.
 * Output: absolute coordinates (px) for every state, every initial marker and every edge (its
 * polyline and its label box), rounded to 0.01 px so the same graph always prints the same numbers.
 */
import elkBundled from 'elkjs/lib/elk.bundled.js'
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk.bundled.js'
import type { ChartGraph, ChartNode } from './chart-types.ts'
import { ClusterError } from '../errors/index.ts'
import { LINE_PX, PAD_X, TEXT_PX, TITLE_PX, TITLE_ROW_PX, bodyLines, textWidth, titleOf } from './chart-text.ts'

export interface Box {
  x: number
  y: number
  width: number
  height: number
}

export interface LaidNode extends Box {
  id: string
}

export interface LaidMarker extends Box {
  /** The initial state it points at. */
  target: string
}

export interface LaidEdge {
  id: string
  /** The polyline, start to end (arrowhead at the end). */
  points: Array<[number, number]>
  label?: Box
}

export interface ChartLayout {
  width: number
  height: number
  nodes: LaidNode[]
  markers: LaidMarker[]
  edges: LaidEdge[]
}

/** Diameter of the initial-state marker, px. */
export const MARKER_PX = 10

/**
 * The bundle is CommonJS (`module.exports = ELK`): Node's ESM loader gives the constructor as the
 * default import, while TypeScript types that import as the module namespace; take whichever is there.
 */
type ElkConstructor = typeof elkBundled.default
const ELK: ElkConstructor = (elkBundled as unknown as { default?: ElkConstructor }).default ?? (elkBundled as unknown as ElkConstructor)

const round = (n: number): number => Math.round(n * 100) / 100

const ROOT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'POLYLINE',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeLabel': '4',
  'elk.spacing.edgeNode': '14',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.randomSeed': '1',
  // Cycles (restores, retries) are broken from the initial state onwards, depth first: the chart
  // reads top-down in the order a machine moves (the default, greedy, put swim's `starting` above
  // `configured`). MODEL_ORDER made elkjs 0.12.1 throw on nested states.
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
}

function markerId(parent: string): string {
  return `${parent}::initial`
}

/** The box an atomic (or final, history) state needs for its title and its lines. */
function leafSize(node: ChartNode): { width: number; height: number } {
  if (node.kind === 'history') return { width: 30, height: 30 }
  const lines = bodyLines(node)
  const width = Math.max(textWidth(titleOf(node), TITLE_PX), ...lines.map((l) => textWidth(l, TEXT_PX))) + 2 * PAD_X
  return { width: Math.max(width, 80), height: TITLE_ROW_PX + (lines.length === 0 ? 6 : lines.length * LINE_PX + 8) }
}

/** The header of a compound state: its title and its lines above the nested states. */
function headerHeight(node: ChartNode): number {
  const lines = bodyLines(node)
  return TITLE_ROW_PX + (lines.length === 0 ? 4 : lines.length * LINE_PX + 6)
}

function elkGraph(graph: ChartGraph): ElkNode {
  const byParent = new Map<string | null, ChartNode[]>()
  for (const n of graph.nodes) {
    const list = byParent.get(n.parent) ?? []
    list.push(n)
    byParent.set(n.parent, list)
  }
  const markerEdges: ElkExtendedEdge[] = []
  const build = (node: ChartNode): ElkNode => {
    const kids = byParent.get(node.id) ?? []
    if (kids.length === 0) return { id: node.id, ...leafSize(node) }
    const children: ElkNode[] = []
    const initial = kids.find((k) => k.initial)
    if (initial !== undefined && node.kind !== 'parallel') {
      children.push({ id: markerId(node.id), width: MARKER_PX, height: MARKER_PX })
      markerEdges.push({ id: `${markerId(node.id)}->`, sources: [markerId(node.id)], targets: [initial.id] })
    }
    for (const k of kids) children.push(build(k))
    const lines = bodyLines(node)
    const minWidth = Math.max(textWidth(titleOf(node), TITLE_PX), ...lines.map((l) => textWidth(l, TEXT_PX))) + 2 * PAD_X
    return {
      id: node.id,
      layoutOptions: {
        // Read per compound node even with INCLUDE_CHILDREN (on the root alone it changed nothing).
        'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
        'elk.padding': `[top=${headerHeight(node) + 8},left=14,bottom=14,right=14]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${minWidth},${headerHeight(node) + 20})`,
      },
      children,
    }
  }
  const root = graph.nodes[0]!
  const top = build(root)
  const edges: ElkExtendedEdge[] = graph.edges.map((e) => ({
    id: e.id,
    sources: [e.source],
    targets: [e.target],
    labels: [{ id: `${e.id}.label`, text: e.label, width: textWidth(e.label, TEXT_PX) + 4, height: LINE_PX }],
  }))
  return { id: '::chart', layoutOptions: ROOT_OPTIONS, children: [top], edges: [...markerEdges, ...edges] }
}

export async function layoutChart(graph: ChartGraph): Promise<ChartLayout> {
  const elk = new ELK()
  let laid: ElkNode
  try {
    laid = await elk.layout(elkGraph(graph))
  } catch (err) {
    // elkjs throws plain errors (or Java exceptions turned into objects): coded, naming the actor.
    const message = err instanceof Error ? err.message : String((err as { message?: unknown } | null)?.message ?? err)
    throw new ClusterError('ERR_CHARTS_LAYOUT', `elkjs could not lay out the chart of ${graph.actor}: ${message}`, { cause: err, details: { actor: graph.actor } })
  }
  const origin = new Map<string, [number, number]>([['::chart', [0, 0]]])
  const nodes: LaidNode[] = []
  const markers: LaidMarker[] = []
  const markerTargets = new Map<string, string>()
  for (const n of graph.nodes) if (n.initial && n.parent !== null) markerTargets.set(markerId(n.parent), n.id)
  const walk = (n: ElkNode, ox: number, oy: number): void => {
    const x = ox + (n.x ?? 0)
    const y = oy + (n.y ?? 0)
    origin.set(n.id, [x, y])
    const box = { x: round(x), y: round(y), width: round(n.width ?? 0), height: round(n.height ?? 0) }
    const target = markerTargets.get(n.id)
    if (target !== undefined) markers.push({ ...box, target })
    else nodes.push({ id: n.id, ...box })
    for (const c of n.children ?? []) walk(c, x, y)
  }
  for (const c of laid.children ?? []) walk(c, 0, 0)

  const edges: LaidEdge[] = []
  const collect = (n: ElkNode): void => {
    for (const e of n.edges ?? []) {
      const [ox, oy] = origin.get((e as { container?: string }).container ?? '::chart') ?? [0, 0]
      const points: Array<[number, number]> = []
      for (const s of e.sections ?? []) {
        points.push([round(ox + s.startPoint.x), round(oy + s.startPoint.y)])
        for (const b of s.bendPoints ?? []) points.push([round(ox + b.x), round(oy + b.y)])
        points.push([round(ox + s.endPoint.x), round(oy + s.endPoint.y)])
      }
      const l = e.labels?.[0]
      const label = l === undefined ? undefined : { x: round(ox + (l.x ?? 0)), y: round(oy + (l.y ?? 0)), width: round(l.width ?? 0), height: round(l.height ?? 0) }
      edges.push({ id: e.id, points, ...(label === undefined ? {} : { label }) })
    }
    for (const c of n.children ?? []) collect(c)
  }
  collect(laid)
  const order = new Map(graph.edges.map((e, i) => [e.id, i]))
  // Marker edges first, then the graph's edges in their own order (ELK may move edges between containers).
  edges.sort((a, b) => (order.get(a.id) ?? -1) - (order.get(b.id) ?? -1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return { width: round(laid.width ?? 0), height: round(laid.height ?? 0), nodes, markers, edges }
}

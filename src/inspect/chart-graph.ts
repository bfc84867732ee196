/**
 * Reads an XState v5 machine's structure (`machine.root` and its StateNodes) into a ChartGraph:
 * one node per state node (nested states keep their parent), one edge per transition target, and
 * the targetless transitions listed on their state. Nothing is run: no actor is created, no action
 * or guard is called. Deterministic: states and transitions come out in definition order, ids are
 * XState's state ids and edges are numbered in that order.
 */
import type { AnyStateMachine } from 'xstate'
import type { ChartEdge, ChartGraph, ChartNode, ChildActor, InPlaceHandler, StateKind } from './chart-types.ts'
import { delayValue, guardLabel, triggerOf } from './chart-labels.ts'

/** The parts of XState's StateNode a chart reads (a structural view; XState's types are generic). */
interface NodeView {
  id: string
  key: string
  type: StateKind
  history: 'shallow' | 'deep' | false
  states: Record<string, NodeView>
  parent?: NodeView
  initial?: { target: NodeView[] }
  transitions: Map<string, TransitionView[]>
  always?: TransitionView[]
  invoke: Array<{ id: string; src: string }>
  entry: unknown[]
  exit: unknown[]
  tags: string[]
}

interface TransitionView {
  eventType: string
  target?: NodeView[]
  guard?: unknown
  delay?: unknown
  reenter?: boolean
  actions: unknown[]
}

/** XState names an invoke it was given no id for `<index>.<state id>`, and its logic `xstate.invoke.*`. */
function invokeName(node: NodeView, id: string): string {
  const def = node.invoke.find((i) => i.id === id)
  if (def === undefined) return id
  const generated = id.endsWith(`.${node.id}`)
  return generated ? srcName(def.src) : id
}

function srcName(src: unknown): string {
  return typeof src === 'string' && !src.startsWith('xstate.invoke.') ? src : '(inline)'
}

/** `spawnChild(...)` actions among a list (entry, exit or a transition's). */
function spawnsIn(actions: readonly unknown[]): ChildActor[] {
  const out: ChildActor[] = []
  for (const a of actions) {
    const act = a as { type?: unknown; id?: unknown; src?: unknown } | null
    if (act === null || (typeof act !== 'function' && typeof act !== 'object') || act.type !== 'xstate.spawnChild') continue
    out.push({ id: typeof act.id === 'string' ? act.id : act.id === undefined ? '' : '(computed)', src: srcName(act.src), how: 'spawn' })
  }
  return out
}

/** Every transition of a node, in definition order: `on`, done/error of invokes, `after`, then `always`. */
function transitionsOf(node: NodeView): TransitionView[] {
  const all: TransitionView[] = []
  for (const list of node.transitions.values()) all.push(...list)
  if (node.always !== undefined) all.push(...node.always)
  return all
}

/** Builds the chart of `machine` (the actor named `actor`). */
export function chartGraph(actor: string, machine: AnyStateMachine): ChartGraph {
  const nodes: ChartNode[] = []
  const edges: ChartEdge[] = []
  let transitions = 0

  const visit = (node: NodeView, depth: number): void => {
    const parent = node.parent
    const initial = parent?.initial?.target.some((t) => t === node) ?? false
    const children: ChildActor[] = node.invoke.map((i) => ({ id: i.id.endsWith(`.${node.id}`) ? '' : i.id, src: srcName(i.src), how: 'invoke' as const }))
    children.push(...spawnsIn(node.entry), ...spawnsIn(node.exit))
    const inPlace: InPlaceHandler[] = []
    const chartNode: ChartNode = {
      id: node.id,
      label: parent === undefined ? node.id : node.key,
      kind: node.type,
      parent: parent === undefined ? null : parent.id,
      depth,
      initial,
      ...(node.type === 'history' && node.history !== false ? { history: node.history } : {}),
      children,
      inPlace,
      tags: [...node.tags],
    }
    nodes.push(chartNode)

    for (const t of transitionsOf(node)) {
      transitions++
      const delay = t.delay === undefined ? undefined : delayValue(t.delay)
      const trigger = triggerOf(t.eventType ?? '', delay, (id) => invokeName(node, id))
      const guard = guardLabel(t.guard)
      for (const spawned of spawnsIn(t.actions)) if (!children.some((c) => c.id === spawned.id && c.src === spawned.src)) children.push(spawned)
      const targets = t.target ?? []
      if (targets.length === 0) {
        const entry = inPlace.find((h) => h.trigger === trigger.label)
        if (entry === undefined) inPlace.push({ trigger: trigger.label, guards: [guard] })
        else entry.guards.push(guard)
        continue
      }
      for (const target of targets) {
        edges.push({
          id: `e${edges.length}`,
          source: node.id,
          target: target.id,
          event: t.eventType ?? '',
          trigger: trigger.kind,
          label: guard === '' ? trigger.label : `${trigger.label} [${guard}]`,
          ...(guard === '' ? {} : { guard }),
          ...(delay === undefined ? {} : { delay }),
          reenter: t.reenter === true,
        })
      }
    }
    for (const child of Object.values(node.states)) visit(child, depth + 1)
  }

  visit(machine.root as unknown as NodeView, 0)
  return { actor, machine: machine.id, nodes, edges, transitions }
}

/**
 * States a person counts on the chart: the machine's states below its root, or 1 for a machine
 * without child states (its root is its one state).
 */
export function stateCount(graph: ChartGraph): number {
  return graph.nodes.length === 1 ? 1 : graph.nodes.length - 1
}

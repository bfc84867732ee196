/**
 * The chart of one actor's machine as plain data: what `gossamer charts --format json` prints and
 * what the layout and the renderers read. Built from the machine's own structure (chart-graph.ts);
 * ordering is the definition's, so the same machine always gives the same graph.
 */

/** XState's kinds of state node. */
export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history'

/** What starts a transition (for its label and its colour). */
export type TriggerKind = 'event' | 'always' | 'after' | 'done' | 'error' | 'snapshot' | 'state-done'

/** A transition without a target: handled in place (actions only), listed inside its state. */
export interface InPlaceHandler {
  /** The label of its trigger, e.g. `swim.packet` or `after 1000 ms`. */
  trigger: string
  /** Guards of the handlers for this trigger, in order ('' for an unguarded one). */
  guards: string[]
}

/** An invoked or spawned child actor. */
export interface ChildActor {
  /** The child's id in its parent (XState's invoke id, or the spawn's id; '' when not named). */
  id: string
  /** The logic it runs: the name given in `setup({ actors })`, or `(inline)`. */
  src: string
  how: 'invoke' | 'spawn'
}

export interface ChartNode {
  /** XState's state id, e.g. `swim.binding`: unique in the machine. */
  id: string
  /** The key in its parent (the root's is the machine id). */
  label: string
  kind: StateKind
  /** The parent's id; null for the root. */
  parent: string | null
  /** Depth below the root (root 0). */
  depth: number
  /** True when this is its (compound) parent's initial state. */
  initial: boolean
  /** For history states: shallow or deep. */
  history?: 'shallow' | 'deep'
  children: ChildActor[]
  /** Targetless transitions, one entry per trigger, in definition order. */
  inPlace: InPlaceHandler[]
  tags: string[]
}

export interface ChartEdge {
  /** `e<N>`, numbered in definition order. */
  id: string
  source: string
  target: string
  /** The machine's event type (`xstate.after.*`, `xstate.done.actor.*` and '' for always included). */
  event: string
  trigger: TriggerKind
  /** What a person reads: the trigger, then ` [guard]` when guarded. */
  label: string
  guard?: string
  /** `after` delay: ms, or the name of a delay from setup({ delays }); `(computed)` for a function. */
  delay?: number | string
  /** Re-enters its target (exit and entry actions run again, timers restart). */
  reenter: boolean
}

export interface ChartGraph {
  /** The actor's definition name, e.g. `swim`. */
  actor: string
  /** The machine's id. */
  machine: string
  nodes: ChartNode[]
  edges: ChartEdge[]
  /** Every transition of the machine, targeted (edges, one per target) and in place. */
  transitions: number
}

/** What `gossamer charts` writes: one SVG per actor, one HTML page, or one JSON per actor. */
export type ChartFormat = 'svg' | 'html' | 'json'

export const CHART_FORMATS: readonly ChartFormat[] = ['svg', 'html', 'json']

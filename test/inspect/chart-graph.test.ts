/**
 * Each actor's chart against its machine: the states, kinds and initial states the definition
 * declares, the transitions (counted independently through XState's own serialised definition),
 * and the labels of known transitions. A synthetic machine covers what the actors do not use
 * (history, parallel regions, numeric and computed delays, combined guards, spawned children).
 */
import { describe, expect, it } from 'vitest'
import { and, createMachine, not, or, setup, spawnChild, stateIn, fromPromise, type AnyStateMachine } from 'xstate'
import { chartGraph } from '../../src/inspect/chart-graph.ts'
import { knownActors, loadMachine } from '../../src/inspect/actor-catalog.ts'
import type { ChartGraph } from '../../src/inspect/chart-types.ts'

/** Transitions counted from XState's serialised definition (`definition.transitions`) plus `always`. */
function countFromDefinition(machine: AnyStateMachine): number {
  type Def = { transitions: unknown[]; states: Record<string, Def> }
  type Cfg = { always?: unknown; states?: Record<string, Cfg> }
  const fromDef = (d: Def): number => d.transitions.length + Object.values(d.states).reduce((n, s) => n + fromDef(s), 0)
  const always = (c: Cfg): number =>
    (c.always === undefined ? 0 : Array.isArray(c.always) ? c.always.length : 1) + Object.values(c.states ?? {}).reduce((n, s) => n + always(s), 0)
  return fromDef(machine.root.definition as unknown as Def) + always(machine.config as Cfg)
}

/** State ids in document order, from the machine's idMap-independent walk of `states`. */
function stateIds(machine: AnyStateMachine): string[] {
  const out: string[] = []
  const walk = (n: { id: string; states: Record<string, unknown> }): void => {
    out.push(n.id)
    for (const c of Object.values(n.states)) walk(c as { id: string; states: Record<string, unknown> })
  }
  walk(machine.root as unknown as { id: string; states: Record<string, unknown> })
  return out
}

const edge = (g: ChartGraph, source: string, target: string) => g.edges.filter((e) => e.source === source && e.target === target).map((e) => e.label)
const node = (g: ChartGraph, id: string) => {
  const n = g.nodes.find((x) => x.id === id)
  if (n === undefined) throw new Error(`no node ${id}`)
  return n
}

describe('every actor chart matches its machine', () => {
  it.each(knownActors())('%s: states and transition counts agree with XState\'s own definition', async (name) => {
    const machine = await loadMachine(name)
    const g = chartGraph(name, machine)
    expect(g.nodes.map((n) => n.id)).toEqual(stateIds(machine))
    expect(g.transitions).toBe(countFromDefinition(machine))
    // Every edge joins two drawn states; every non-root state names a drawn parent.
    const ids = new Set(g.nodes.map((n) => n.id))
    for (const e of g.edges) expect(ids.has(e.source) && ids.has(e.target)).toBe(true)
    for (const n of g.nodes.slice(1)) expect(ids.has(n.parent!)).toBe(true)
    // Targeted transitions are edges, the others are listed in place: together, all of them.
    const inPlace = g.nodes.reduce((sum, n) => sum + n.inPlace.reduce((s, h) => s + h.guards.length, 0), 0)
    const targeted = new Set(g.edges.map((e) => `${e.source} ${e.event} ${e.guard ?? ''} ${e.label}`)).size
    expect(inPlace + targeted).toBeLessThanOrEqual(g.transitions)
    expect(inPlace + g.edges.length).toBeGreaterThanOrEqual(g.transitions)
  })

  it("swim: configured, binding, starting, running, leaving, left, failed and a final stopped; bind's outcomes labelled", async () => {
    const g = chartGraph('swim', await loadMachine('swim'))
    expect(g.nodes.map((n) => `${n.label}:${n.kind}`)).toEqual(['swim:compound', 'configured:atomic', 'binding:atomic', 'starting:atomic', 'running:atomic', 'leaving:atomic', 'left:atomic', 'failed:atomic', 'stopped:final'])
    expect(g.nodes.filter((n) => n.initial).map((n) => n.label)).toEqual(['configured'])
    expect(g.transitions).toBe(108) // swim.stream: handled in running, leaving, left, binding, starting and failed
    expect(g.edges).toHaveLength(20)
    expect(edge(g, 'swim.configured', 'swim.failed')).toEqual(['always [inline]'])
    expect(edge(g, 'swim.configured', 'swim.binding')).toEqual(['always'])
    expect(edge(g, 'swim.binding', 'swim.starting')).toEqual(['done: bind'])
    expect(edge(g, 'swim.binding', 'swim.failed')).toEqual(['error: bind'])
    expect(edge(g, 'swim.starting', 'swim.running')).toEqual(['done: localMeta', 'error: localMeta'])
    expect(edge(g, 'swim.running', 'swim.leaving')).toEqual(['swim.leave', 'member.swim-leave'])
    expect(edge(g, 'swim.leaving', 'swim.left')).toEqual(['swim.left'])
    const restoredToBinding = g.edges.filter((e) => e.target === 'swim.binding' && e.event === 'runtime.restored')
    expect(restoredToBinding.map((e) => e.source)).toEqual(['swim.binding', 'swim.starting', 'swim.running', 'swim.leaving', 'swim.left'])
    expect(restoredToBinding.every((e) => e.reenter)).toBe(true)
    expect(node(g, 'swim.binding').children).toEqual([{ id: 'bind', src: 'bind', how: 'invoke' }])
    expect(node(g, 'swim.running').inPlace.find((h) => h.trigger === 'swim.timer')?.guards).toEqual(['inline', 'inline', ''])
    expect(node(g, 'swim').inPlace.map((h) => h.trigger)).toEqual(['gossip.lease', 'swim.keyring', 'swim.coordinate'])
  })

  it('member-manager: running is parallel (lifecycle, reaper, reconnector) with named after delays and named guards', async () => {
    const g = chartGraph('member-manager', await loadMachine('member-manager'))
    expect(node(g, 'member-manager.running').kind).toBe('parallel')
    expect(g.nodes.filter((n) => n.parent === 'member-manager.running').map((n) => n.label)).toEqual(['lifecycle', 'reaper', 'reconnector'])
    expect(node(g, 'member-manager.stopped').kind).toBe('final')
    const leaving = 'member-manager.running.lifecycle.leaving'
    expect(node(g, leaving).kind).toBe('compound')
    expect(node(g, `${leaving}.broadcasting`).initial).toBe(true)
    expect(edge(g, `${leaving}.broadcasting`, `${leaving}.memberlist`)).toEqual(['gossip.broadcast-finished [isOurLeaveBroadcast]', 'after broadcastTimeout', 'always [!waitsForBroadcast]'])
    expect(edge(g, `${leaving}.propagating`, 'member-manager.running.lifecycle.left')).toEqual(['after leavePropagateDelay'])
    const reap = g.edges.find((e) => e.source === 'member-manager.running.reaper.waiting' && e.trigger === 'after')
    expect(reap).toMatchObject({ target: 'member-manager.running.reaper.waiting', delay: 'reapInterval', reenter: true })
    expect(edge(g, 'member-manager.running', 'member-manager.stopped')).toEqual(['runtime.shutdown'])
  })

  it('snapshotter: invoked open/shutdown/notices children, nested running.active/left, guarded done', async () => {
    const g = chartGraph('snapshotter', await loadMachine('snapshotter'))
    expect(g.nodes.map((n) => n.label)).toEqual(['snapshotter', 'opening', 'running', 'active', 'left', 'failed', 'stopping', 'stopped'])
    expect(g.transitions).toBe(53)
    expect(node(g, 'snapshotter').children).toEqual([{ id: 'notices', src: 'notices', how: 'invoke' }])
    // Invokes without an id get XState's generated one: the chart shows the source's name instead.
    expect(node(g, 'snapshotter.opening').children).toEqual([{ id: '', src: 'open', how: 'invoke' }])
    expect(edge(g, 'snapshotter.opening', 'snapshotter.running.left')).toEqual(['done: open [inline]'])
    expect(edge(g, 'snapshotter.opening', 'snapshotter.running')).toEqual(['done: open'])
    expect(edge(g, 'snapshotter.opening', 'snapshotter.failed')).toEqual(['error: open'])
    expect(edge(g, 'snapshotter.stopping', 'snapshotter.stopped')).toEqual(['done: shutdown', 'error: shutdown'])
  })

  it('gossip-queue, serf-events, partition-detector, election: running then a final stopped on runtime.shutdown', async () => {
    for (const name of ['gossip-queue', 'serf-events', 'partition-detector', 'election']) {
      const g = chartGraph(name, await loadMachine(name))
      expect(node(g, `${name}.running`).initial).toBe(true)
      expect(node(g, `${name}.stopped`).kind).toBe('final')
      expect(edge(g, `${name}.running`, `${name}.stopped`)).toEqual(['runtime.shutdown'])
    }
    const gq = chartGraph('gossip-queue', await loadMachine('gossip-queue'))
    expect(edge(gq, 'gossip-queue.running', 'gossip-queue.running')).toEqual(['runtime.restored', 'after queueCheck'])
  })
})

describe('labels of what the actors do not use', () => {
  const worker = fromPromise(async () => 1)
  const machine = setup({
    types: { events: {} as { type: 'go' } | { type: 'stop' } | { type: 'tick' } },
    guards: { ready: () => true, calm: () => true },
    delays: { backoff: () => 50 },
    actors: { worker },
  }).createMachine({
    id: 'synthetic',
    initial: 'idle',
    states: {
      idle: {
        entry: spawnChild('worker', { id: 'helper' }),
        on: {
          go: [
            { guard: and(['ready', not('calm')]), target: 'busy' },
            { guard: or(['ready', and(['calm', 'ready'])]), target: 'busy.hist' },
            { guard: stateIn('#synthetic.idle'), target: 'done' },
            { guard: { type: 'ready' }, actions: spawnChild(fromPromise(async () => 2)) },
          ],
        },
        after: { 1000: 'busy', backoff: { target: 'idle', reenter: true } },
      },
      busy: {
        type: 'parallel',
        states: {
          a: { initial: 'x', states: { x: { on: { tick: 'y' } }, y: { type: 'final' } }, onDone: '#synthetic.done' },
          b: { invoke: { src: 'worker', onDone: '#synthetic.idle', onError: { target: '#synthetic.done', guard: ({ context }) => context === undefined } } },
          hist: { type: 'history', history: 'deep' },
        },
      },
      done: { type: 'final' },
    },
  })

  it('spells out delays, combined guards, history, invoked and spawned children', () => {
    const g = chartGraph('synthetic', machine as unknown as AnyStateMachine)
    expect(g.nodes.map((n) => `${n.id}:${n.kind}${n.initial ? '*' : ''}`)).toEqual([
      'synthetic:compound',
      'synthetic.idle:atomic*',
      'synthetic.busy:parallel',
      'synthetic.busy.a:compound',
      'synthetic.busy.a.x:atomic*',
      'synthetic.busy.a.y:final',
      'synthetic.busy.b:atomic',
      'synthetic.busy.hist:history',
      'synthetic.done:final',
    ])
    expect(node(g, 'synthetic.busy.hist').history).toBe('deep')
    expect(edge(g, 'synthetic.idle', 'synthetic.busy')).toEqual(['go [ready && !calm]', 'after 1000 ms'])
    expect(edge(g, 'synthetic.idle', 'synthetic.busy.hist')).toEqual(['go [ready || (calm && ready)]'])
    expect(edge(g, 'synthetic.idle', 'synthetic.done')).toEqual(['go [in(#synthetic.idle)]'])
    expect(g.edges.find((e) => e.source === 'synthetic.idle' && e.target === 'synthetic.idle')).toMatchObject({ label: 'after backoff', delay: 'backoff', reenter: true, trigger: 'after' })
    expect(edge(g, 'synthetic.busy.a', 'synthetic.done')).toEqual(['done'])
    expect(edge(g, 'synthetic.busy.b', 'synthetic.idle')).toEqual(['done: worker'])
    expect(edge(g, 'synthetic.busy.b', 'synthetic.done')).toEqual(['error: worker [inline]'])
    expect(node(g, 'synthetic.idle').children).toEqual([
      { id: 'helper', src: 'worker', how: 'spawn' },
      { id: '', src: '(inline)', how: 'spawn' },
    ])
    expect(node(g, 'synthetic.idle').inPlace).toEqual([{ trigger: 'go', guards: ['ready'] }])
    expect(node(g, 'synthetic.busy.b').children).toEqual([{ id: '', src: 'worker', how: 'invoke' }])
    expect(g.transitions).toBe(countFromDefinition(machine as unknown as AnyStateMachine))
  })

  it('a machine built with createMachine (no setup) and a numeric delay only', () => {
    const m = createMachine({ id: 't', initial: 'a', states: { a: { after: { 250: 'b' } }, b: {} } })
    const g = chartGraph('t', m)
    expect(g.edges).toEqual([{ id: 'e0', source: 't.a', target: 't.b', event: 'xstate.after.250.t.a', trigger: 'after', label: 'after 250 ms', delay: 250, reenter: false }])
  })
})

import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SimCluster } from '../../sim/cluster.ts'
import { falseDeaths, runScenario } from '../../sim/scenario.ts'
import type { Operation } from '../../sim/scenario.ts'

const names = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `n${i + from}`)

/** n1 first, then n2..nN joining through n1. */
function bootstrap(n: number): Operation[] {
  return [{ op: 'addNode', name: 'n1' }, ...names(n - 1, 2).map((name): Operation => ({ op: 'addNode', name, joinVia: ['n1'] }))]
}

/** 12 nodes, converged, then 30% loss on every packet for 10 simulated minutes, then healed. */
function lossyTenMinutes(): Operation[] {
  return [
    ...bootstrap(12),
    { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
    { op: 'loss', loss: 0.3 },
    { op: 'wait', ms: 600_000 },
    { op: 'loss', loss: 0 },
    { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
  ]
}

function expectOk(result: ReturnType<typeof runScenario>) {
  const failed = result.steps.filter((s) => !s.ok)
  expect(failed, JSON.stringify(failed, null, 1)).toEqual([])
  expect(result.ok).toBe(true)
}

describe('sim scenarios (LAN defaults, 1 ms links)', () => {
  /** LAN push/pull interval at up to 32 members (ms): how long a false death can last under memberlist's rules (see below). */
  const PUSH_PULL_MS = 30_000
  it('joins one node into ten: everyone sees it alive within a few seconds', () => {
    const c = new SimCluster({ seed: 1 })
    const r = runScenario(c, [
      ...bootstrap(10),
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      { op: 'wait', ms: 10_000 },
      { op: 'addNode', name: 'new', joinVia: ['n3'] },
      { op: 'assert', what: { kind: 'state', subject: 'new', state: 'alive' }, withinMs: 5_000 },
      { op: 'assert', what: { kind: 'converged' }, withinMs: 5_000 },
    ])
    expectOk(r)
  })

  it('graceful leave: peers see left, never failed', () => {
    const c = new SimCluster({ seed: 2 })
    const r = runScenario(c, [
      ...bootstrap(6),
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      { op: 'leaveNode', name: 'n4' },
      { op: 'assert', what: { kind: 'state', subject: 'n4', state: 'left' }, withinMs: 5_000 },
      { op: 'wait', ms: 30_000 },
      { op: 'assert', what: { kind: 'never-dead', subjects: ['n4'] } },
      { op: 'assert', what: { kind: 'converged' } },
    ])
    expectOk(r)
    // n4 was told 'left' by its own dead{From: n4}, not by a suspicion.
    expect(c.events.some((e) => e.output.type === 'suspect' && e.output.node === 'n4')).toBe(false)
  })

  it('crash: every peer marks the node dead, in about suspicion-min time with confirmations', () => {
    const c = new SimCluster({ seed: 3 })
    const r = runScenario(c, [
      ...bootstrap(8),
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      { op: 'crashNode', name: 'n5' },
      { op: 'assert', what: { kind: 'state', subject: 'n5', state: 'dead' }, withinMs: 30_000 },
    ])
    expectOk(r)
    const crashAt = r.steps.find((s) => s.op.op === 'crashNode')!.atMs
    const detected = Number(/held at (\d+)/.exec(r.steps.at(-1)!.detail!)![1])
    // n = 8: min 4 s, max 24 s, k = 2; plus up to ~2 s to the first failed probe.
    expect(detected - crashAt).toBeGreaterThan(4_000)
    expect(detected - crashAt).toBeLessThan(24_000)
  })

  // memberlist's rules let a slow node be declared dead locally now and then (seed 4, traced):
  // n2 (600 ms each way) refutes suspect@26 with alive@27; the other members' named suspect@27
  // about n2 replaces alive@27 in their queues, so n4, still suspecting n2@26, hears only
  // suspect@27, which counts as a confirmation of its stale suspicion (spec §4.6), and declares
  // n2 dead@26. Nobody else agrees and n2's next alive brings it back.
  function slowNode(seed: number, staleSuspicionRefresh: boolean) {
    const c = new SimCluster({ seed, swim: { staleSuspicionRefresh } })
    const r = runScenario(c, [
      ...bootstrap(6),
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      // 600 ms each way: its acks miss the 1 s probe deadline, so peers suspect it.
      { op: 'slowNode', name: 'n2', delayMs: 600 },
      { op: 'wait', ms: 120_000 },
      ...(staleSuspicionRefresh ? [{ op: 'assert', what: { kind: 'never-dead' } } as Operation] : []),
      { op: 'slowNode', name: 'n2', delayMs: 0 },
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
    ])
    expectOk(r)
    const slow = c.get('n2').swim
    expect(c.events.filter((e) => e.output.type === 'suspect' && e.output.node === 'n2').length).toBeGreaterThan(0)
    expect(slow.counters.refutations).toBeGreaterThan(0)
    expect(slow.table.self().incarnation).toBeGreaterThan(1)
    return c
  }

  it('a slow node keeps refuting (memberlist rules): rare local false deaths, each undone within seconds', () => {
    const c = slowNode(4, false)
    const accusations = c.events.filter((e) => e.output.type === 'suspect' && e.output.node === 'n2' && e.output.from === e.observer).length
    const declared = c.events.filter((e) => e.output.type === 'declared-dead')
    expect(declared.length).toBeLessThan(Math.max(2, accusations / 10))
    // Mostly about n2; a member n2 suspected can be one too (its suspicions count as confirmations).
    for (const d of declared) {
      const subject = (d.output as { node: string }).node
      const back = c.events.find((e) => e.atMs >= d.atMs && e.observer === d.observer && e.output.type === 'node-joined' && e.output.node.name === subject)
      expect(back, `${d.observer} never saw ${subject} again`).toBeDefined()
      expect(back!.atMs - d.atMs).toBeLessThan(PUSH_PULL_MS)
    }
  })

  it('a slow node keeps refuting and is never declared dead (default config)', () => {
    slowNode(4, true)
  })

  // Measured, not wished, and traced (12 nodes, 10 min, memberlist's rules: false deaths in 19 of
  // 20 seeds, 45 in all, out of ~650 accusations per run; bench/cluster/lossy-sweep.ts
  // --memberlist). Both kinds are memberlist's own rules at work, not a divergence (spec §4.6):
  //  (a) seed 5, n12 about n4: n12 suspects n4@10; n4 refutes with alive@11, which n12 misses; n12's
  //      own failed probe confirms (From = n12), then suspect@11 from n5 also counts as a
  //      confirmation of the @10 suspicion (suspectNode only ignores s.inc < state.inc), the timer
  //      shrinks below the elapsed time and n12 declares dead@10. Everyone else is at @11 and
  //      ignores it; n4 refutes within a second.
  //  (b) seed 7, n5 about n2: n5 misses alive@3 for 12 s and its own probe of n2 fails; the ping's
  //      buddy suspect@2 reaches n2, which ignores it as older than its incarnation.
  // In (a) the subject never hears a dead it must refute (everyone, itself too, ignores dead@10 as
  // older than @11), and the observer does not probe the dead: it hears @11 again from the
  // subject's next refutation of anything, or at a push/pull (every 30 s at this size). So a false
  // death's lifetime is bounded by the push/pull interval, not by gossip: over seeds 1-12 the
  // longest was 12.5 s with random probe phases, 9.9 s with aligned ticks, and 19.5 s with a
  // variant that also aligned each member's first tick (not kept).
  it.each(['lifeguard', 'phi'] as const)('30 percent packet loss for 10 minutes (%s, memberlist rules): false deaths rare, each refuted within seconds', (failureDetector) => {
    const c = new SimCluster({ seed: 5, swim: { failureDetector, staleSuspicionRefresh: false } })
    const r = runScenario(c, lossyTenMinutes())
    expectOk(r)
    expect(c.network.stats().dropped.loss).toBeGreaterThan(1000)
    const accusations = c.events.filter((e) => e.output.type === 'suspect' && e.output.from === e.observer).length
    const declared = c.events.filter((e) => e.output.type === 'declared-dead')
    expect(accusations).toBeGreaterThan(200)
    expect(declared.length).toBeLessThan(accusations / 50)
    for (const d of declared) {
      const subject = (d.output as { node: string }).node
      const back = c.events.find((e) => e.atMs >= d.atMs && e.observer === d.observer && e.output.type === 'node-joined' && e.output.node.name === subject)
      expect(back, `${d.observer} never saw ${subject} again`).toBeDefined()
      expect(back!.atMs - d.atMs).toBeLessThan(PUSH_PULL_MS)
    }
  }, 120_000)

  // Issue 4's scenario with the default config (staleSuspicionRefresh, actors/swim/suspicion-refresh.ts):
  // a stale suspicion restarts at a higher incarnation instead of being confirmed, stale rumours
  // about us are answered directly, and a suspect is told and checked directly before anyone
  // declares it dead. Measured (bench/cluster/lossy-sweep.ts, 30% loss, 10 min): 12 nodes, seeds
  // 1-100: no false death; 30 nodes, seeds 1-40: none. Seeds 17, 20 and 32 here are the runs the
  // first three rules alone still lost (a member missed every copy of a refutation and heard
  // nothing newer before its timer ran out).
  it.each([
    [17, 'lifeguard'],
    [20, 'lifeguard'],
    [32, 'lifeguard'],
    [5, 'phi'],
  ] as const)('30 percent packet loss for 10 minutes without a false dead (default config, seed %d, %s)', (seed, failureDetector) => {
    const c = new SimCluster({ seed, swim: { failureDetector } })
    const ops = lossyTenMinutes()
    const r = runScenario(c, [...ops.slice(0, -2), { op: 'assert', what: { kind: 'never-dead' } }, ...ops.slice(-2)])
    expectOk(r)
    expect(c.network.stats().dropped.loss).toBeGreaterThan(1000)
    const accusations = c.events.filter((e) => e.output.type === 'suspect' && e.output.from === e.observer).length
    expect(accusations).toBeGreaterThan(200)
    expect(c.events.filter((e) => e.output.type === 'declared-dead')).toEqual([])
    const sum = (k: 'staleRumoursAnswered' | 'suspectsTold') => [...c.nodes.values()].reduce((a, n) => a + n.swim.counters[k], 0)
    expect(sum('staleRumoursAnswered')).toBeGreaterThan(0)
    expect(sum('suspectsTold')).toBeGreaterThan(0)
  }, 120_000) // all CPU; only a hang guard (measured 4-9 s each, 18-25 s on a loaded machine)

  it.each([
    [3, 0],
    [4, 0.1],
    [5, 0.1],
  ])('the default rules do not delay crash detection (seed %d, loss %d): first declaration as under memberlist rules', (seed, loss) => {
    const firstDeclaration = (staleSuspicionRefresh: boolean) => {
      const c = new SimCluster({ seed, swim: { staleSuspicionRefresh } })
      const r = runScenario(c, [
        ...bootstrap(8),
        { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
        { op: 'loss', loss },
        { op: 'crashNode', name: 'n5' },
        { op: 'assert', what: { kind: 'state', subject: 'n5', state: 'dead' }, withinMs: 40_000 },
      ])
      expectOk(r)
      return c.events.find((e) => e.output.type === 'declared-dead' && e.output.node === 'n5')!.atMs
    }
    expect(firstDeclaration(true)).toBe(firstDeclaration(false))
  })

  it('partition and heal: both sides declare the other dead, then return to one view', () => {
    const c = new SimCluster({ seed: 6 })
    const left = names(4)
    const right = names(4, 5)
    const r = runScenario(c, [
      ...bootstrap(8),
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      { op: 'partition', groups: [left, right] },
      { op: 'assert', what: { kind: 'state', subject: 'n8', state: 'dead', observers: left }, withinMs: 30_000 },
      { op: 'assert', what: { kind: 'state', subject: 'n1', state: 'dead', observers: right }, withinMs: 30_000 },
      { op: 'heal' },
      // memberlist heals through anti-entropy: a push/pull (every 30 s, random alive peer) carries
      // "you are dead" to a node that then refutes, or carries the newer alive to the other side.
      { op: 'assert', what: { kind: 'converged' }, withinMs: 120_000 },
    ])
    expectOk(r)
  })

  it('flapping: a node cut off and reconnected five times ends alive everywhere (with Serf reconnect)', () => {
    // Cut off for longer than suspicion + gossipToTheDead, the flapping node and its peers purge
    // each other from memberlist's table: only Serf's reconnect (the member layer keeps failed
    // members for 24 h and re-joins one every 30 s) can bring them back together. Whether f hears
    // of its own death before it is reaped (and refutes, raising its incarnation) depends on the
    // seed under either timing: seed 3 refutes under both (fastCrashDetection on and off); seed 7,
    // used before fastCrashDetection, no longer does.
    const c = new SimCluster({ seed: 3, serf: true })
    const others = names(5)
    const flap: Operation[] = []
    for (let i = 0; i < 5; i++) flap.push({ op: 'partition', groups: [others, ['f']] }, { op: 'wait', ms: 12_000 }, { op: 'heal' }, { op: 'wait', ms: 8_000 })
    const r = runScenario(c, [
      ...bootstrap(5),
      { op: 'addNode', name: 'f', joinVia: ['n1'] },
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      ...flap,
      { op: 'assert', what: { kind: 'converged' }, withinMs: 120_000 },
    ])
    expectOk(r)
    // It really flapped: peers declared it dead and saw it come back.
    expect(falseDeaths(c, ['f']).length).toBeGreaterThan(0)
    expect(c.events.filter((e) => e.output.type === 'node-joined' && e.output.node.name === 'f').length).toBeGreaterThan(5)
    expect(c.get('f').swim.table.self().incarnation).toBeGreaterThan(2)
  })

  it('memberlist alone cannot rejoin nodes it has purged: the reason Serf reconnects', () => {
    const c = new SimCluster({ seed: 7 })
    const r = runScenario(c, [
      ...bootstrap(5),
      { op: 'addNode', name: 'f', joinVia: ['n1'] },
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      { op: 'partition', groups: [names(5), ['f']] },
      { op: 'wait', ms: 120_000 },
      { op: 'heal' },
      { op: 'wait', ms: 120_000 },
    ])
    expectOk(r)
    expect(c.converged()).toBe(false)
    expect(c.get('f').swim.table.size()).toBe(1)
  })

  it('Serf member layer: members see each other alive, a leave as left, a crash as failed', () => {
    const c = new SimCluster({ seed: 8, serf: true })
    const r = runScenario(c, [
      ...bootstrap(5),
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      { op: 'leaveNode', name: 'n2' },
      { op: 'crashNode', name: 'n3' },
      { op: 'assert', what: { kind: 'state', subject: 'n3', state: 'dead' }, withinMs: 30_000 },
      { op: 'wait', ms: 5_000 },
    ])
    expectOk(r)
    const status = (observer: string, name: string) => c.get(observer).serf!.members().members.find((m) => m.name === name)?.status
    for (const o of ['n1', 'n4', 'n5']) {
      expect(status(o, 'n2')).toBe('left')
      expect(status(o, 'n3')).toBe('failed')
      expect(status(o, 'n5')).toBe('alive')
    }
    // Serf's user state really travelled in push/pull, byte-exact as the member layer made it.
    expect(c.get('n1').mergedUserStates.length).toBeGreaterThan(0)
    expect(c.get('n1').mergedUserStates[0]![0]).toBe(2)
  })

  it('same seed, same trace; another seed, another trace', () => {
    // The trace holds every network event and each received datagram's content digest; the events
    // add what every node concluded (type, subject, state, incarnation) and when.
    const run = (seed: number) => {
      const c = new SimCluster({ seed, trace: true, link: { latencyMs: 2, jitterMs: 3 } })
      runScenario(c, [...bootstrap(6), { op: 'loss', loss: 0.2 }, { op: 'wait', ms: 20_000 }, { op: 'crashNode', name: 'n3' }, { op: 'wait', ms: 20_000 }])
      expect(c.trace.some((l) => / in .* [0-9a-f]{8}$/.test(l))).toBe(true)
      const events = c.events.map((e) => `${e.atMs} ${e.observer} ${JSON.stringify(e.output, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v))}`)
      return createHash('sha256').update(c.trace.join('\n')).update(events.join('\n')).digest('hex')
    }
    const a = run(42)
    expect(run(42)).toBe(a)
    expect(run(43)).not.toBe(a)
  })

  it('never-dead with withinMs watches the whole window: a false death late in it fails the step', () => {
    // n5 is cut off (not crashed). Alone, it suspects its peers without confirmations, so it takes
    // the Lifeguard maximum to declare n1 dead: well into a 60 s window that starts clean. Checked
    // only at its start, as before, the step passed at once.
    const c = new SimCluster({ seed: 9 })
    const r = runScenario(c, [
      ...bootstrap(5),
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
      { op: 'partition', groups: [names(4), ['n5']] },
      { op: 'assert', what: { kind: 'never-dead', subjects: ['n1'] }, withinMs: 1_000 },
      { op: 'assert', what: { kind: 'never-dead', subjects: ['n1'] }, withinMs: 60_000 },
      { op: 'wait', ms: 1 },
    ])
    const [clean, window, after] = r.steps.slice(-3)
    expect(clean!.ok).toBe(true)
    expect(clean!.detail).toBe(`held from ${clean!.atMs} to ${clean!.atMs + 1_000} ms`)
    expect(window!.ok).toBe(false)
    const at = Number(/^false death at (\d+) ms/.exec(window!.detail!)![1])
    expect(at - window!.atMs).toBeGreaterThan(5_000)
    expect(falseDeaths(c, ['n1']).every((d) => d.observer === 'n5')).toBe(true)
    // The window runs to its end either way, so the next step starts 60 s later.
    expect(after!.atMs).toBe(window!.atMs + 60_000)
    expect(r.ok).toBe(false)
  })

  it('leave registers no cluster listener: the node shuts itself down once left', () => {
    const c = new SimCluster({ seed: 10 })
    const listeners = () => (c as unknown as { listeners: unknown[] }).listeners.length
    runScenario(c, [...bootstrap(5), { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 }])
    const before = listeners()
    const r = runScenario(c, [
      { op: 'leaveNode', name: 'n2' },
      { op: 'leaveNode', name: 'n3' },
      { op: 'assert', what: { kind: 'state', subject: 'n3', state: 'left' }, withinMs: 10_000 },
      // Each leaver's own memberlist leave completes once its dead-from-self has spread.
      { op: 'wait', ms: 10_000 },
    ])
    expectOk(r)
    expect(listeners()).toBe(before)
    for (const n of ['n2', 'n3']) {
      expect(c.get(n).left).toBe(true)
      expect(c.get(n).crashed).toBe(true)
      expect(c.get(n).transport.isClosed()).toBe(true)
    }
    // onEvent gives an unsubscribe.
    const off = c.onEvent(() => {})
    expect(listeners()).toBe(before + 1)
    off()
    expect(listeners()).toBe(before)
  })

  it('runScenario refuses a cluster whose operations are async (use runScenarioAsync)', () => {
    const c = new SimCluster({ seed: 1 })
    const asyncRun = Object.assign(Object.create(c) as SimCluster, { run: () => Promise.resolve() })
    expect(() => runScenario(asyncRun, [{ op: 'wait', ms: 1 }])).toThrow(/runScenarioAsync/)
  })
})

import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SimCluster } from '../../src/sim/cluster.ts'
import { falseDeaths, runScenario } from '../../src/sim/scenario.ts'
import type { Operation } from '../../src/sim/scenario.ts'

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
    for (const d of declared) {
      const back = c.events.find((e) => e.atMs >= d.atMs && e.observer === d.observer && e.output.type === 'node-joined' && e.output.node.name === 'n2')
      expect(back).toBeDefined()
      expect(back!.atMs - d.atMs).toBeLessThan(15_000)
    }
  })

  it('a slow node keeps refuting and is never declared dead (staleSuspicionRefresh)', () => {
    slowNode(4, true)
  })

  // Measured, not wished, and traced (12 nodes, 10 min, seeds 5-12: 1-4 local false declarations
  // per run, 18 in all, out of ~650 accusations per run under memberlist's rules). Both kinds are
  // memberlist's own rules at work, not a divergence (spec §4.6):
  //  (a) seed 5, n12 about n4: n12 suspects n4@10; n4 refutes with alive@11, which n12 misses; n12's
  //      own failed probe confirms (From = n12), then suspect@11 from n5 also counts as a
  //      confirmation of the @10 suspicion (suspectNode only ignores s.inc < state.inc), the timer
  //      shrinks below the elapsed time and n12 declares dead@10. Everyone else is at @11 and
  //      ignores it; n4 refutes within a second.
  //  (b) seed 7, n5 about n2: n5 misses alive@3 for 12 s and its own probe of n2 fails; the ping's
  //      buddy suspect@2 reaches n2, which ignores it as older than its incarnation.
  it.each(['lifeguard', 'phi'] as const)('30 percent packet loss for 10 minutes (%s, memberlist rules): false deaths rare, each refuted within seconds', (failureDetector) => {
    const c = new SimCluster({ seed: 5, swim: { failureDetector } })
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
      expect(back!.atMs - d.atMs).toBeLessThan(15_000)
    }
  }, 60_000)

  // staleSuspicionRefresh (off by default) closes both paths above: a higher-incarnation suspect
  // restarts a stale suspicion instead of confirming it, and a stale rumour about ourselves (or
  // a fresh one we refute) gets our alive sent straight to the sender and the accuser.
  // Measured over seeds 5-12: 0 false declarations in each of the 8 runs (18 without the flag).
  // Still possible in principle: an observer that misses every copy of a refutation, whose own
  // probe of the accused and the direct alive it triggers are both lost, and that hears nothing
  // at a higher incarnation before its timer runs out.
  it('30 percent packet loss for 10 minutes (lifeguard + staleSuspicionRefresh): no false dead', () => {
    const c = new SimCluster({ seed: 5, swim: { staleSuspicionRefresh: true } })
    const r = runScenario(c, [...lossyTenMinutes().slice(0, -2), { op: 'assert', what: { kind: 'never-dead' } }, ...lossyTenMinutes().slice(-2)])
    expectOk(r)
    const accusations = c.events.filter((e) => e.output.type === 'suspect' && e.output.from === e.observer).length
    expect(accusations).toBeGreaterThan(200)
    expect(c.events.filter((e) => e.output.type === 'declared-dead')).toEqual([])
    expect([...c.nodes.values()].reduce((sum, n) => sum + n.swim.counters.staleRumoursAnswered, 0)).toBeGreaterThan(0)
  }, 60_000)

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
    // members for 24 h and re-joins one every 30 s) can bring them back together.
    const c = new SimCluster({ seed: 7, serf: true })
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
    const run = (seed: number) => {
      const c = new SimCluster({ seed, trace: true, link: { latencyMs: 2, jitterMs: 3 } })
      runScenario(c, [...bootstrap(6), { op: 'loss', loss: 0.2 }, { op: 'wait', ms: 20_000 }, { op: 'crashNode', name: 'n3' }, { op: 'wait', ms: 20_000 }])
      return createHash('sha256').update(c.trace.join('\n')).digest('hex')
    }
    const a = run(42)
    expect(run(42)).toBe(a)
    expect(run(43)).not.toBe(a)
  })
})

/**
 * The simulator's scenarios through the real actors (audit finding G6): five nodes, each an inline
 * ActorSystem with swim, gossip-queue and member-manager, on one SimulatedClock, one MemoryNetwork
 * and one seed (sim/runtime-cluster.ts), driven by the same scenario runner as SimCluster.
 * Views are the member-managers' tables (`member.members`).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeCluster } from '../../sim/runtime-cluster.ts'
import { RuntimeNode } from '../../sim/runtime-node.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { MemoryNetwork } from '../../src/transport/memory-network.ts'
import { createSeededRandom } from '../../src/types/random.ts'
import { createSwimConfig } from '../../actors/swim/config.ts'
import { SimCluster } from '../../sim/cluster.ts'
import { falseDeaths, runScenario, runScenarioAsync } from '../../sim/scenario.ts'
import type { Operation, ScenarioResult } from '../../sim/scenario.ts'
import type { NameConflictEventMsg } from '../../actors/member-manager/protocol.ts'

const names = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `n${i + from}`)

/** n1 first, then n2..nN joining through n1, until every member-manager sees all of them alive. */
function bootstrap(n: number): Operation[] {
  return [
    { op: 'addNode', name: 'n1' },
    ...names(n - 1, 2).map((name): Operation => ({ op: 'addNode', name, joinVia: ['n1'] })),
    { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
  ]
}

function expectOk(result: ScenarioResult) {
  const failed = result.steps.filter((s) => !s.ok)
  expect(failed, JSON.stringify(failed, null, 1)).toEqual([])
  expect(result.ok).toBe(true)
}

/** When the assertion at `step` held (simulated ms). */
function heldAt(result: ScenarioResult, step: number): number {
  return Number(/held at (\d+)/.exec(result.steps[step]!.detail!)![1])
}

let cluster: RuntimeCluster | undefined
function createCluster(seed: number, options: Omit<ConstructorParameters<typeof RuntimeCluster>[0], 'seed'> = {}): RuntimeCluster {
  cluster = new RuntimeCluster({ seed, ...options })
  return cluster
}
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

/** Each running node's member-manager status of `subject`. */
async function statusesOf(c: RuntimeCluster, subject: string): Promise<Record<string, string | undefined>> {
  const views = await c.views()
  return Object.fromEntries([...views].map(([observer, view]) => [observer, view.get(subject)]))
}

describe('RuntimeCluster: scenarios through the actors (5 nodes, LAN defaults, 1 ms links)', () => {
  it('joins one node into five: every member-manager sees it alive', async () => {
    const c = createCluster(1)
    const r = await runScenarioAsync(c, [
      ...bootstrap(5),
      { op: 'wait', ms: 5_000 },
      { op: 'addNode', name: 'new', joinVia: ['n3'] },
      { op: 'assert', what: { kind: 'state', subject: 'new', state: 'alive' }, withinMs: 5_000 },
      { op: 'assert', what: { kind: 'converged' }, withinMs: 5_000 },
      // The others gossip the news the moment it is leased to them, so the cluster can converge
      // before the new node's own first gossip tick (staggered within its interval): give it one.
      { op: 'wait', ms: 1_000 },
    ])
    expectOk(r)
    expect(await statusesOf(c, 'new')).toEqual({ n1: 'alive', n2: 'alive', n3: 'alive', n4: 'alive', n5: 'alive', new: 'alive' })
    // The runtime did the work: every swim filled from its gossip-queue's leases and reported back.
    for (const n of c.running()) {
      const ctx = (await n.swim.getSnapshot()).context
      expect(ctx.numNodes).toBe(6)
      expect(ctx.lease.counters.leases).toBeGreaterThan(0)
      expect(ctx.lease.counters.starved).toBe(0)
      expect((await n.gossipQueue.ask({ type: 'gossip.stats' })).queues.memberlist.transmits).toBeGreaterThan(0)
    }
    expect(c.problems).toEqual([])
  })

  it('graceful leave: peers see left, never failed', async () => {
    const c = createCluster(2)
    const r = await runScenarioAsync(c, [
      ...bootstrap(5),
      { op: 'leaveNode', name: 'n4' },
      { op: 'assert', what: { kind: 'state', subject: 'n4', state: 'left' }, withinMs: 15_000 },
      // Checked over the whole window: a late suspicion of the departed node would fail it.
      { op: 'assert', what: { kind: 'never-dead', subjects: ['n4'] }, withinMs: 30_000 },
      { op: 'assert', what: { kind: 'converged' } },
    ])
    expectOk(r)
    expect(c.get('n4').status).toBe('left')
    expect(await statusesOf(c, 'n4')).toEqual({ n1: 'left', n2: 'left', n3: 'left', n5: 'left' })
    // Serf reported the departure as a leave, at every peer, and never as a failure.
    for (const o of ['n1', 'n2', 'n3', 'n5']) {
      const about = c.events.filter((e) => e.observer === o && e.msg.type === 'member.event' && e.msg.members.some((m) => m.name === 'n4'))
      expect(about.map((e) => (e.msg.type === 'member.event' ? e.msg.event : e.msg.type))).toContain('member-leave')
      expect(about.some((e) => e.msg.type === 'member.event' && e.msg.event === 'member-failed')).toBe(false)
    }
    expect(c.problems).toEqual([])
  })

  it('crash: every peer sees the node failed, in about suspicion time', async () => {
    const c = createCluster(3)
    const r = await runScenarioAsync(c, [
      ...bootstrap(5),
      { op: 'crashNode', name: 'n5' },
      { op: 'assert', what: { kind: 'state', subject: 'n5', state: 'dead' }, withinMs: 30_000 },
      { op: 'assert', what: { kind: 'never-dead' }, withinMs: 10_000 },
    ])
    expectOk(r)
    expect(await statusesOf(c, 'n5')).toEqual({ n1: 'failed', n2: 'failed', n3: 'failed', n4: 'failed' })
    const crashAt = r.steps.find((s) => s.op.op === 'crashNode')!.atMs
    const detectedIn = heldAt(r, r.steps.findIndex((s) => s.op.op === 'assert' && s.op.what.kind === 'state')) - crashAt
    // n = 5, LAN: suspicion min 4·log10(5)·1 s ≈ 2.8 s, max 6× that; plus up to ~2 s to the first failed probe.
    expect(detectedIn).toBeGreaterThan(2_000)
    expect(detectedIn).toBeLessThan(20_000)
    // Every survivor reported it failed, and nothing else.
    expect(new Set(c.deathReports().map((d) => d.observer))).toEqual(new Set(['n1', 'n2', 'n3', 'n4']))
    expect(c.deathReports().every((d) => d.subject === 'n5')).toBe(true)
    expect(c.problems).toEqual([])
  })

  it('partition and heal: each side sees the other failed, then one view again', async () => {
    const c = createCluster(6)
    const left = names(3)
    const right = names(2, 4)
    const r = await runScenarioAsync(c, [
      ...bootstrap(5),
      { op: 'partition', groups: [left, right] },
      { op: 'assert', what: { kind: 'state', subject: 'n5', state: 'dead', observers: left }, withinMs: 30_000 },
      { op: 'assert', what: { kind: 'state', subject: 'n1', state: 'dead', observers: right }, withinMs: 30_000 },
      { op: 'heal' },
      // Back together by push/pull anti-entropy or Serf's reconnect of failed members (every 30 s).
      { op: 'assert', what: { kind: 'converged' }, withinMs: 120_000 },
    ])
    expectOk(r)
    const views = await c.views()
    for (const view of views.values()) expect([...view.values()].every((s) => s === 'alive')).toBe(true)
    // It really split: both sides reported the other failed (falsely: nobody crashed).
    const deaths = falseDeaths(c)
    expect(deaths.some((d) => left.includes(d.observer) && right.includes(d.subject))).toBe(true)
    expect(deaths.some((d) => right.includes(d.observer) && left.includes(d.subject))).toBe(true)
    expect(c.problems).toEqual([])
  })

  it('name conflict: a second node named n2 at another address makes member-manager emit member.conflict', async () => {
    const c = createCluster(7)
    const r = await runScenarioAsync(c, bootstrap(5))
    expectOk(r)
    const impostor = await c.addNode('impostor', ['n1'], { nodeName: 'n2' })
    const conflictsAbout = (observer: string) =>
      c.events.filter((e): e is typeof e & { msg: NameConflictEventMsg } => e.observer === observer && e.msg.type === 'member.conflict' && e.msg.name === 'n2')
    // n1 hears the impostor's alive in its join push/pull: swim's NotifyConflict → member-manager.
    expect(await c.runUntil(() => conflictsAbout('n1').length > 0, 5_000)).toBeDefined()
    const [seen] = conflictsAbout('n1')
    expect(seen!.msg.local).toBe(false)
    expect(seen!.msg.warning.code).toBe('ERR_MEMBER_NAME_CONFLICT')
    expect([...seen!.msg.other.addr].join('.')).toBe(impostor.address.split(':')[0])
    expect([...seen!.msg.existing.addr].join('.')).toBe(c.get('n2').address.split(':')[0])
    // Membership did not change: the real n2 stays the alive n2 at its own address everywhere.
    await c.run(5_000)
    const views = await c.views()
    for (const o of names(5)) expect(views.get(o)!.get('n2')).toBe('alive')
    const n1Members = (await c.get('n1').memberManager.ask({ type: 'member.members' })).members
    expect([...n1Members.find((m) => m.name === 'n2')!.addr].join('.')).toBe(c.get('n2').address.split(':')[0])
    expect(c.problems).toEqual([])
  })

  it('flapping: a node cut off and reconnected five times ends alive everywhere (member-manager reconnects it)', async () => {
    // Cut off for longer than suspicion + gossipToTheDead, memberlist forgets it: what brings it
    // back is member-manager's reconnect (member.reconnect → swim's join), through the actors.
    const c = createCluster(7)
    const flap: Operation[] = []
    for (let i = 0; i < 5; i++) flap.push({ op: 'partition', groups: [names(4), ['f']] }, { op: 'wait', ms: 12_000 }, { op: 'heal' }, { op: 'wait', ms: 8_000 })
    const r = await runScenarioAsync(c, [...bootstrap(4), { op: 'addNode', name: 'f', joinVia: ['n1'] }, { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 }, ...flap, { op: 'assert', what: { kind: 'converged' }, withinMs: 120_000 }])
    expectOk(r)
    expect(falseDeaths(c, ['f']).length).toBeGreaterThan(0)
    let reconnects = 0
    for (const n of c.running()) reconnects += (await n.memberManager.ask({ type: 'member.stats' })).reconnectAttempts
    expect(reconnects).toBeGreaterThan(0)
    expect(c.problems).toEqual([])
  })

  it('30 percent packet loss for 5 minutes: no false failure, and no ask of swim failed', async () => {
    const c = createCluster(1)
    const r = await runScenarioAsync(c, [
      ...bootstrap(5),
      { op: 'loss', loss: 0.3 },
      { op: 'assert', what: { kind: 'never-dead' }, withinMs: 300_000 },
      { op: 'loss', loss: 0 },
      { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
    ])
    expectOk(r)
    expect(c.network.stats().dropped.loss).toBeGreaterThan(1000)
    for (const n of c.running()) {
      const ctx = (await n.swim.getSnapshot()).context
      expect(ctx.lease.counters.starved).toBe(0)
      expect(ctx.localStateFailures).toBe(0)
    }
    expect(c.problems).toEqual([])
  }, 120_000) // simulated time, all CPU; only a hang guard (measured 5 s, and over 20 s on a loaded machine)

  it('one runner, both clusters: the same leave-and-crash scenario passes on SimCluster (Serf layer) and RuntimeCluster', async () => {
    const ops: Operation[] = [
      ...bootstrap(5),
      { op: 'leaveNode', name: 'n2' },
      { op: 'crashNode', name: 'n3' },
      { op: 'assert', what: { kind: 'state', subject: 'n3', state: 'dead' }, withinMs: 30_000 },
      { op: 'assert', what: { kind: 'state', subject: 'n2', state: 'left' }, withinMs: 10_000 },
      { op: 'assert', what: { kind: 'never-dead' }, withinMs: 10_000 },
    ]
    expectOk(runScenario(new SimCluster({ seed: 8, serf: true }), ops))
    const c = createCluster(8)
    expectOk(await runScenarioAsync(c, ops))
    expect(await statusesOf(c, 'n2')).toEqual({ n1: 'left', n4: 'left', n5: 'left' })
    expect(await statusesOf(c, 'n3')).toEqual({ n1: 'failed', n4: 'failed', n5: 'failed' })
  })

  it('same seed, same trace (packet digests, network events, member events); another seed, another trace', async () => {
    const run = async (seed: number) => {
      const c = new RuntimeCluster({ seed, trace: true, link: { latencyMs: 2, jitterMs: 3 } })
      try {
        await runScenarioAsync(c, [
          ...bootstrap(5),
          { op: 'loss', loss: 0.2 },
          { op: 'wait', ms: 10_000 },
          { op: 'crashNode', name: 'n3' },
          // A leave stops its node as the clock runs: that must not disturb the order either.
          { op: 'leaveNode', name: 'n4' },
          { op: 'wait', ms: 15_000 },
        ])
        return c.trace
      } finally {
        await c.close()
      }
    }
    const a = await run(42)
    expect(a.some((l) => / in .* [0-9a-f]{8}$/.test(l))).toBe(true)
    expect(a.some((l) => l.includes('member-failed n3'))).toBe(true)
    expect(a.some((l) => l.includes('member-leave n4'))).toBe(true)
    const b = await run(42)
    expect(b).toEqual(a)
    expect(await run(43)).not.toEqual(a)
  })
})

describe('RuntimeNode.start', () => {
  it('shuts a half-built node down when a spawn fails: no actor or timer is left on the shared clock', async () => {
    const clock = new SimulatedClock()
    const network = new MemoryNetwork({ clock, random: createSeededRandom(3) })
    // Tags past Serf's 512-byte Meta: member-manager refuses its config at start, after gossip-queue
    // (whose queue-check timer runs on the shared clock) is already up.
    const swimConfig = createSwimConfig({}, 'lan')
    const serf = { tags: { big: 'x'.repeat(600) } }
    const spec = { name: 'n1', nodeName: 'n1', address: '10.0.0.1:7946', seed: 1, preset: 'lan' as const, swim: {}, swimConfig, serf, joinVia: [] }
    const problems: string[] = []
    await expect(RuntimeNode.start(spec, { clock, network, onEvent: () => {}, onProblem: (_n, p) => problems.push(p) })).rejects.toMatchObject({ code: 'ERR_ACTOR_START_FAILED' })
    expect(clock.pending).toBe(0)
  })
})

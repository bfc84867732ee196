/**
 * Serf's event layer through the real actors on the simulator (sim/runtime-cluster.ts): 20 nodes,
 * each an inline ActorSystem with swim, gossip-queue, member-manager and serf-events on one
 * SimulatedClock and one seeded MemoryNetwork (LAN defaults, 1 ms links). A user event from one
 * node reaches every node's stream exactly once with its LTime; a query to all gets every ack and
 * response before its deadline; relayed copies (relayFactor 2) are deduped; at 10% loss the
 * relays still bring >= 99% of the acks.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeCluster } from '../../sim/runtime-cluster.ts'
import { runScenarioAsync } from '../../sim/scenario.ts'
import { SimCluster } from '../../sim/cluster.ts'
import type { Operation } from '../../sim/scenario.ts'
import type { QueryStartedReply, SerfEventsEmitted } from '../../actors/serf-events/protocol.ts'

const N = 20
const names = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `n${i + from}`)

let cluster: RuntimeCluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

/** N nodes joined through n1, converged; each answers every query with its own name. */
async function bootstrap(seed: number): Promise<RuntimeCluster> {
  const c = (cluster = new RuntimeCluster({ seed }))
  const ops: Operation[] = [
    { op: 'addNode', name: 'n1' },
    ...names(N - 1, 2).map((name): Operation => ({ op: 'addNode', name, joinVia: ['n1'] })),
    { op: 'assert', what: { kind: 'converged' }, withinMs: 60_000 },
  ]
  const r = await runScenarioAsync(c, ops)
  expect(r.steps.filter((s) => !s.ok)).toEqual([])
  for (const node of c.nodes.values()) {
    node.serfEvents.on('serf.query', (q) => node.serfEvents.send({ type: 'serf.respond', key: q.key, payload: new TextEncoder().encode(node.nodeName) }))
  }
  // Every serf-events knows every member (its member feed), so the default timeout and the
  // collection bound count them all.
  await c.runUntil(() => true, 1_000)
  for (const node of c.nodes.values()) expect((await node.serfEvents.ask({ type: 'serf.stats' })).numMembers).toBe(N)
  return c
}

const of = <T extends SerfEventsEmitted['type']>(c: RuntimeCluster, type: T) =>
  c.serfEvents.filter((e): e is { atMs: number; observer: string; msg: Extract<SerfEventsEmitted, { type: T }> } => e.msg.type === type)

/** Runs a query from `origin` (n1) to all until it closes; returns its results, its close and the originator's stats. */
async function queryAll(c: RuntimeCluster, opts: { relayFactor?: number; origin?: string } = {}) {
  const n1 = c.get(opts.origin ?? 'n1')
  const sentAt = c.now()
  const started = (await n1.serfEvents.ask({ type: 'serf.query', name: 'who', requestAck: true, relayFactor: opts.relayFactor ?? 0 })) as QueryStartedReply
  const mine = (e: { msg: { id: number; ltime: bigint } }) => e.msg.id === started.id && e.msg.ltime === started.ltime
  await c.runUntil(() => of(c, 'serf.query-closed').some(mine), 30_000)
  const results = of(c, 'serf.query-result').filter(mine)
  const closed = of(c, 'serf.query-closed').filter(mine)
  return { sentAt, started, results, closed, stats: await n1.serfEvents.ask({ type: 'serf.stats' }) }
}

describe('serf-events on the simulator (20 nodes, real actors)', () => {
  it('a user event from one node reaches every node exactly once, with its LTime', async () => {
    const c = await bootstrap(12)
    const sent = await c.get('n7').serfEvents.ask({ type: 'serf.user-event', name: 'deploy', payload: Uint8Array.of(1, 2), coalesce: false })
    const got = () => of(c, 'serf.user-event').filter((e) => e.msg.name === 'deploy')
    const at = await c.runUntil(() => new Set(got().map((e) => e.observer)).size === N, 20_000)
    expect(at).toBeDefined()
    // Gossip goes on for a while: still exactly once each after every retransmit is spent.
    await c.run(10_000)
    expect(got().map((e) => e.observer).sort()).toEqual(names(N).sort())
    expect(new Set(got().map((e) => e.msg.ltime))).toEqual(new Set([sent.ltime]))
    expect(got().every((e) => e.msg.payload !== null && e.msg.payload.join() === '1,2')).toBe(true)
    // The clock moved past it everywhere, and push/pull carries it (member-manager's slice).
    for (const node of c.nodes.values()) expect((await node.serfEvents.ask({ type: 'serf.stats' })).eventTime).toBeGreaterThan(sent.ltime)
  }, 120_000)

  it('a query to all gets every ack and response before its deadline, then closes once', async () => {
    const c = await bootstrap(13)
    const { sentAt, started, results, closed } = await queryAll(c)
    // Default timeout for 20 members: 200 ms × 16 × ceil(log10(21)) = 6.4 s.
    expect(started.deadline - sentAt).toBe(6400)
    const acks = results.filter((r) => r.msg.kind === 'ack')
    const responses = results.filter((r) => r.msg.kind === 'response')
    expect(acks.map((r) => r.msg.from).sort()).toEqual(names(N).sort())
    expect(responses.map((r) => r.msg.from).sort()).toEqual(names(N).sort())
    expect(responses.every((r) => new TextDecoder().decode(r.msg.payload!) === r.msg.from)).toBe(true)
    expect(results.every((r) => r.atMs <= started.deadline)).toBe(true)
    expect(closed.map((e) => e.msg)).toEqual([{ type: 'serf.query-closed', id: started.id, ltime: started.ltime, reason: 'deadline', acks: N, responses: N }])
  }, 120_000)

  it('relays (relayFactor 2) bring extra copies that are deduped: each member once', async () => {
    const c = await bootstrap(14)
    const { results, stats } = await queryAll(c, { relayFactor: 2 })
    const froms = (kind: 'ack' | 'response') => results.filter((r) => r.msg.kind === kind).map((r) => r.msg.from)
    expect(froms('ack').sort()).toEqual(names(N).sort())
    expect(froms('response').sort()).toEqual(names(N).sort())
    const o = (stats.counters as Record<string, Record<string, number>>)['originated']!
    // Each remote ack and response came up to 3 times (direct + 2 relays); the copies were dropped.
    expect(o['duplicateAcks']).toBeGreaterThan(N)
    expect(o['duplicateResponses']).toBeGreaterThan(N)
    // Those copies went as UDP user messages through swim (swim.send-user): n2's ack and response,
    // each direct and through 2 relays, plus the relays it forwarded for others.
    const swimCounters = async (n: string) => (await c.get(n).swim.getSnapshot()).context.counters
    expect((await swimCounters('n2')).userMessagesSent).toBeGreaterThanOrEqual(6)
  }, 120_000)

  it('at 10% loss, relays (relayFactor 2) still bring at least 99% of the acks and responses', async () => {
    const c = await bootstrap(15)
    c.setLoss(0.1)
    // Ten queries from ten originators, one after the other: 200 acks and 200 responses expected.
    let acks = 0
    let responses = 0
    for (const origin of names(10)) {
      const { results } = await queryAll(c, { relayFactor: 2, origin })
      acks += new Set(results.filter((r) => r.msg.kind === 'ack').map((r) => r.msg.from)).size
      responses += new Set(results.filter((r) => r.msg.kind === 'response').map((r) => r.msg.from)).size
    }
    expect(acks).toBeGreaterThanOrEqual(0.99 * 10 * N)
    expect(responses).toBeGreaterThanOrEqual(0.99 * 10 * N)
  }, 120_000)
})

describe('serf-events core on the synchronous simulator (SimCluster, 50 nodes)', () => {
  it('a user event reaches every node once; a query to all gets every ack and response; both cross the member layer as in the actors', () => {
    const c = new SimCluster({ seed: 3, serf: true })
    c.addNode('n1')
    for (const name of names(49, 2)) c.addNode(name, ['n1'])
    expect(c.runUntil(() => c.converged(), 60_000)).toBeDefined()
    c.run(2_000)
    /** What the nodes' event layers emitted, with the observer. */
    const emitted = () => c.events.flatMap((e) => (e.output.type === 'serf-events' ? [{ observer: e.observer, event: e.output.event }] : []))
    c.onEvent((e) => {
      if (e.output.type === 'serf-events' && e.output.event.type === 'query') c.get(e.observer).events!.respond(`${e.output.event.ltime}:${e.output.event.id}`, null)
    })
    expect(c.get('n9').events!.userEvent('deploy', null, false)).toMatchObject({ ok: true })
    const got = () => emitted().filter((e) => e.event.type === 'user-event')
    expect(c.runUntil(() => new Set(got().map((e) => e.observer)).size === 50, 20_000)).toBeDefined()
    c.run(10_000)
    expect(got()).toHaveLength(50)

    const started = c.get('n1').events!.query({ name: 'who', requestAck: true })
    const q = started?.ok === true && started.value.kind === 'query' ? started.value : undefined
    expect(q?.deadlineMs).toBe(c.now() + 6400)
    const mine = () => emitted().filter((e) => e.observer === 'n1' && (e.event.type === 'query-result' || e.event.type === 'query-closed') && e.event.id === q!.id)
    expect(c.runUntil(() => mine().some((e) => e.event.type === 'query-closed'), 10_000)).toBeDefined()
    const kinds = mine().flatMap((e) => (e.event.type === 'query-result' ? [e.event.kind] : []))
    expect(kinds.filter((k) => k === 'ack')).toHaveLength(50)
    expect(kinds.filter((k) => k === 'response')).toHaveLength(50)
  }, 120_000)
})

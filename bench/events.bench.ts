/**
 * bench:events: how fast Serf's event layer spreads, in SIMULATED seconds, through the real actors
 * (sim/runtime-cluster.ts: swim, gossip-queue, member-manager and serf-events per node, inline on
 * one SimulatedClock and one seeded MemoryNetwork, LAN preset, 1 ms links).
 *
 *   npx tsx bench/events.bench.ts [--json] [--n 100,1000] [--loss 0,0.1] [--seed 1] [--engine auto|runtime|sim]
 *
 * Engines: `runtime` runs the real actors per node (RuntimeCluster; about a minute of wall time at
 * N = 100); `sim` runs the same cores synchronously (SimCluster: swim's SwimNode, gossip-queue's
 * QueueSet, member-manager's MemberLayer, serf-events' EventLayer), which reaches
 * N = 1,000. `auto` (default): runtime up to N = 100, sim above.
 *
 * For each N and loss, on a cluster of N nodes joined through n1 and converged (the sim engine:
 * warm-started, every member known to every node):
 * - userEvent: a user event from n2: simulated seconds until 50%, 99% and 100% of the members
 *   delivered it (null: not reached within 60 s);
 * - membership: the same for a membership broadcast (n3 changes its tags: member-update events at
 *   the N − 1 other members);
 * - query: a query to all from n4 with the ack flag, every node answering: seconds until the
 *   originator holds 50%, 99% and 100% of the acks and of the responses, the fraction of each it
 *   held when the query closed at its default deadline, and that deadline (Serf's default, no
 *   relays); queryRelayed: the same from n5 with relayFactor 2 (each ack and response also sent
 *   through 2 random members), which is what survives loss.
 * Target: 100% of acks within the default timeout at 0% loss, >= 99% at 10%.
 * Prints a table; with --json the last line of stdout is one JSON object keyed `n<N>-loss<loss>`.
 * Wall time is reported but never asserted (a shared machine).
 */
import { RuntimeCluster } from '../sim/runtime-cluster.ts'
import { SimCluster } from '../sim/cluster.ts'
import type { QueryStartedReply, SerfEventsEmitted } from '../actors/serf-events/protocol.ts'
import type { SimOutput } from '../sim/sim-node.ts'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback
}
const json = process.argv.includes('--json')
const sizes = arg('n', '100').split(',').map(Number)
const losses = arg('loss', '0,0.1').split(',').map(Number)
const seed = Number(arg('seed', '1'))
const engine = arg('engine', 'auto')

type Quantiles = { p50: number | null; p99: number | null; p100: number | null }

/** Seconds from `t0` until 50%, 99%, 100% of `n` distinct arrivals (times in ms, any order). */
function quantiles(times: number[], n: number, t0: number): Quantiles {
  const sorted = [...times].sort((a, b) => a - b)
  const at = (frac: number) => {
    const k = Math.ceil(frac * n)
    return sorted.length >= k ? Number(((sorted[k - 1]! - t0) / 1000).toFixed(3)) : null
  }
  return { p50: at(0.5), p99: at(0.99), p100: at(1) }
}

/** First arrival per observer (or per sender) among `events`. */
function firstPer<T>(events: readonly T[], key: (e: T) => string, time: (e: T) => number): number[] {
  const seen = new Map<string, number>()
  for (const e of events) if (!seen.has(key(e))) seen.set(key(e), time(e))
  return [...seen.values()]
}

async function runCase(n: number, loss: number) {
  const wallStart = performance.now()
  const c = new RuntimeCluster({ seed, pollMs: 200 })
  try {
    await c.addNode('n1')
    for (let i = 2; i <= n; i++) await c.addNode(`n${i}`, ['n1'])
    const convergedAt = await c.runUntil(() => c.converged(), 120_000)
    if (convergedAt === undefined) throw new Error(`N=${n}: not converged within 120 simulated s`)
    for (const node of c.nodes.values()) node.serfEvents.on('serf.query', (q) => node.serfEvents.send({ type: 'serf.respond', key: q.key, payload: null }))
    await c.run(2_000)
    c.setLoss(loss)
    const of = <T extends SerfEventsEmitted['type']>(type: T, from: number) =>
      c.serfEvents.filter((e): e is { atMs: number; observer: string; msg: Extract<SerfEventsEmitted, { type: T }> } => e.msg.type === type && e.atMs >= from)

    // A user event.
    let t0 = c.now()
    await c.get('n2').serfEvents.ask({ type: 'serf.user-event', name: 'bench', payload: null, coalesce: false })
    const delivered = () => of('serf.user-event', t0).filter((e) => e.msg.name === 'bench')
    await c.runUntil(() => new Set(delivered().map((e) => e.observer)).size >= n, 60_000)
    const userEvent = quantiles(firstPer(delivered(), (e) => e.observer, (e) => e.atMs), n, t0)

    // A membership broadcast: n3's tags change (alive with a new incarnation, then member-update everywhere).
    t0 = c.now()
    await c.get('n3').memberManager.ask({ type: 'member.set-tags', tags: { bench: '1' } })
    const updates = () => c.events.filter((e) => e.atMs >= t0 && e.msg.type === 'member.event' && e.msg.event === 'member-update' && e.msg.members.some((m) => m.name === 'n3'))
    await c.runUntil(() => new Set(updates().map((e) => e.observer)).size >= n - 1, 60_000)
    // n3's own member-manager has no member-update about itself from swim: the others count.
    const membership = quantiles(firstPer(updates(), (e) => e.observer, (e) => e.atMs), n - 1, t0)

    // A query to all, with acks: Serf's default (no relays), then relayed through 2 members.
    const runQuery = async (origin: string, relayFactor: number) => {
      const q0 = c.now()
      const started = (await c.get(origin).serfEvents.ask({ type: 'serf.query', name: 'bench', requestAck: true, relayFactor })) as QueryStartedReply
      const mine = (e: { msg: { id: number; ltime: bigint } }) => e.msg.id === started.id && e.msg.ltime === started.ltime
      await c.runUntil(() => of('serf.query-closed', q0).some(mine), 120_000)
      const results = of('serf.query-result', q0).filter(mine)
      const acks = results.filter((r) => r.msg.kind === 'ack')
      const responses = results.filter((r) => r.msg.kind === 'response')
      return {
        relayFactor,
        timeoutS: (started.deadline - q0) / 1000,
        acks: quantiles(firstPer(acks, (r) => r.msg.from, (r) => r.atMs), n, q0),
        responses: quantiles(firstPer(responses, (r) => r.msg.from, (r) => r.atMs), n, q0),
        ackFraction: new Set(acks.map((r) => r.msg.from)).size / n,
        responseFraction: new Set(responses.map((r) => r.msg.from)).size / n,
      }
    }
    const query = await runQuery('n4', 0)
    const queryRelayed = await runQuery('n5', 2)
    return { n, loss, seed, convergedS: convergedAt / 1000, userEvent, membership, query, queryRelayed, problems: c.problems.length, wallS: Number(((performance.now() - wallStart) / 1000).toFixed(1)) }
  } finally {
    await c.close()
  }
}

type Case = Awaited<ReturnType<typeof runCase>>

/** The same case on the synchronous simulator (same seedable network, same cores, no actors). */
function runSimCase(n: number, loss: number): Case {
  const wallStart = performance.now()
  const c = new SimCluster({ seed, serf: true })
  c.keepEvents = false
  const log: Array<{ atMs: number; observer: string; event: Extract<SimOutput, { type: 'serf-events' }>['event'] }> = []
  const updates: Array<{ atMs: number; observer: string }> = []
  c.onEvent((e) => {
    if (e.output.type === 'serf-events') {
      const ev = e.output.event
      if (ev.type === 'query') c.get(e.observer).events!.respond(`${ev.ltime}:${ev.id}`, null)
      else log.push({ atMs: e.atMs, observer: e.observer, event: ev })
    } else if (e.output.type === 'serf' && e.output.msg.type === 'member.event' && e.output.msg.event === 'member-update' && e.output.msg.members.some((m) => m.name === 'n3')) {
      updates.push({ atMs: e.atMs, observer: e.observer })
    }
  })
  // Warm start (members already know each other, as after a quiet period): a cold bootstrap of
  // 1,000 nodes through one seed takes minutes of simulated time (sim/cluster.ts warmStart).
  c.warmStart(n)
  // warmStart seeds swim's tables only: the member layer learns them as swim's resync would tell it
  // (one batch of `state` changes per node), and its member events feed the event layer.
  for (const node of c.nodes.values()) {
    const changes = [...node.swim.table.records()].map((r) => ({ kind: 'state' as const, node: { name: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn, incarnation: r.incarnation, state: r.state } }))
    node.serf!.nodeChanges(changes)
  }
  for (const node of c.nodes.values()) {
    node.queues.reset()
    node.queues.drainNotifications()
  }
  c.run(2_000)
  const known = c.get('n1').events!.state.feed.members.size
  if (known !== n) throw new Error(`N=${n}: n1's event layer knows ${known} members after the warm start`)
  const convergedAt = 0
  c.setLoss(loss)

  let t0 = c.now()
  c.get('n2').events!.userEvent('bench', null, false)
  const delivered = () => log.filter((e) => e.atMs >= t0 && e.event.type === 'user-event' && e.event.name === 'bench')
  c.runUntil(() => new Set(delivered().map((e) => e.observer)).size >= n, 60_000)
  const userEvent = quantiles(firstPer(delivered(), (e) => e.observer, (e) => e.atMs), n, t0)

  t0 = c.now()
  c.get('n3').serf!.setTags({ bench: '1' })
  const upd = () => updates.filter((e) => e.atMs >= t0)
  c.runUntil(() => new Set(upd().map((e) => e.observer)).size >= n - 1, 60_000)
  const membership = quantiles(firstPer(upd(), (e) => e.observer, (e) => e.atMs), n - 1, t0)

  const runQuery = (origin: string, relayFactor: number) => {
    const q0 = c.now()
    const r = c.get(origin).events!.query({ name: 'bench', requestAck: true, relayFactor })
    if (r === undefined || !r.ok || r.value.kind !== 'query') throw new Error(`query refused: ${JSON.stringify(r)}`)
    const { id, deadlineMs } = r.value
    const mine = () => log.filter((e) => e.observer === origin && (e.event.type === 'query-result' || e.event.type === 'query-closed') && e.event.id === id)
    c.runUntil(() => mine().some((e) => e.event.type === 'query-closed'), 120_000)
    const results = mine().flatMap((e) => (e.event.type === 'query-result' ? [{ atMs: e.atMs, kind: e.event.kind, from: e.event.from }] : []))
    const acks = results.filter((x) => x.kind === 'ack')
    const responses = results.filter((x) => x.kind === 'response')
    return {
      relayFactor,
      timeoutS: (deadlineMs - q0) / 1000,
      acks: quantiles(firstPer(acks, (x) => x.from, (x) => x.atMs), n, q0),
      responses: quantiles(firstPer(responses, (x) => x.from, (x) => x.atMs), n, q0),
      ackFraction: new Set(acks.map((x) => x.from)).size / n,
      responseFraction: new Set(responses.map((x) => x.from)).size / n,
    }
  }
  const query = runQuery('n4', 0)
  const queryRelayed = runQuery('n5', 2)
  return { n, loss, seed, convergedS: convergedAt / 1000, userEvent, membership, query, queryRelayed, problems: 0, wallS: Number(((performance.now() - wallStart) / 1000).toFixed(1)) }
}

const out: Record<string, Case & { engine: string }> = {}
const rows: Record<string, unknown>[] = []
for (const n of sizes) {
  for (const loss of losses) {
    const eng = engine === 'auto' ? (n <= 100 ? 'runtime' : 'sim') : engine
    const r = { ...(eng === 'sim' ? runSimCase(n, loss) : await runCase(n, loss)), engine: eng }
    out[`n${n}-loss${loss}`] = r
    const q = (x: Quantiles) => `${x.p50 ?? '-'} / ${x.p99 ?? '-'} / ${x.p100 ?? '-'}`
    rows.push({
      case: `N=${n} loss=${loss * 100}% (${r.engine})`,
      'user event s (50/99/100%)': q(r.userEvent),
      'membership s (50/99/100%)': q(r.membership),
      'query acks s (50/99/100%)': q(r.query.acks),
      'query responses s (50/99/100%)': q(r.query.responses),
      'acks / responses held at close': `${(r.query.ackFraction * 100).toFixed(1)}% / ${(r.query.responseFraction * 100).toFixed(1)}%`,
      'relay 2: acks s (50/99/100%)': q(r.queryRelayed.acks),
      'relay 2: acks / responses held': `${(r.queryRelayed.ackFraction * 100).toFixed(1)}% / ${(r.queryRelayed.responseFraction * 100).toFixed(1)}%`,
      'timeout s': r.query.timeoutS,
      'wall s': r.wallS,
    })
  }
}
console.table(rows)
if (json) console.log(JSON.stringify(out))

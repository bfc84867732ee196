/**
 * bench:events: how fast Serf's event layer spreads, in SIMULATED seconds, through the real actors
 * (sim/runtime-cluster.ts: swim, gossip-queue, member-manager and serf-events per node, inline on
 * one SimulatedClock and one seeded MemoryNetwork, LAN preset, 1 ms links).
 *
 *   npx tsx bench/events.bench.ts [--json] [--n 100,1000] [--loss 0,0.1] [--seed 1]
 *
 * For each N and loss, on a cluster of N nodes joined through n1 and converged:
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
import type { QueryStartedReply, SerfEventsEmitted } from '../actors/serf-events/protocol.ts'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback
}
const json = process.argv.includes('--json')
const sizes = arg('n', '100').split(',').map(Number)
const losses = arg('loss', '0,0.1').split(',').map(Number)
const seed = Number(arg('seed', '1'))

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

const out: Record<string, Awaited<ReturnType<typeof runCase>>> = {}
const rows: Record<string, unknown>[] = []
for (const n of sizes) {
  for (const loss of losses) {
    const r = await runCase(n, loss)
    out[`n${n}-loss${loss}`] = r
    const q = (x: Quantiles) => `${x.p50 ?? '-'} / ${x.p99 ?? '-'} / ${x.p100 ?? '-'}`
    rows.push({
      case: `N=${n} loss=${loss * 100}%`,
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

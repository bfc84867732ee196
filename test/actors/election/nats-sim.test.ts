/**
 * The nats backend's host and core on simulated time, against an in-memory KV bucket that
 * behaves as nats-server 2.9's (support/sim-kv.ts: max-age expiry by the server's clock, watchers
 * not told of expiry). Deterministic: the clock is a SimulatedClock and faults come from a seed.
 * - The leader renews at TTL/3 and keeps the key; it steps down on its own lease timer when it
 *   cannot renew, before the server could let anyone else create the key.
 * - Followers compete after an expiry that no watcher reports (seed 003: followers that never
 *   competed), and at once on a watched delete (a resign).
 * - A renewal whose reply was lost is recovered (read back, adopted), not a step-down.
 * - Chaos over many seeds (lost requests and replies, latencies, cut-offs, resigns): at no instant
 *   does a node believe it leads without holding the live key at the server, two nodes never both
 *   believe it, elected terms strictly increase, and a leader exists again within a bound after
 *   the faults stop.
 */
import { describe, expect, it } from 'vitest'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { NatsElectionBackend } from '../../../actors/election/nats-backend.ts'
import { createNatsElectionConfig } from '../../../actors/election/nats-config.ts'
import { decodeEntry } from '../../../actors/election/kv-port.ts'
import type { LeaderChange } from '../../../actors/election/backend.ts'
import { SimKv, type SimKvFaults, type SimKvPort } from './support/sim-kv.ts'
import { replayHint, testSeed } from '../../support/seed.ts'

const TTL = 1_000
const G = 'g'

function cluster(names: string[], seed = 1, faults: SimKvFaults = {}) {
  const clock = new SimulatedClock()
  const random = createSeededRandom(seed)
  const kv = new SimKv(clock, TTL, () => random.next())
  const config = createNatsElectionConfig({ servers: ['nats://sim'], bucket: 'sim', ttlMs: TTL, requestTimeoutMs: faults.timeoutMs ?? 200 })
  const nodes = names.map((name) => {
    const port = kv.port(faults)
    const backend = new NatsElectionBackend(name, config, port, clock)
    const changes: LeaderChange[] = []
    void (async () => {
      for await (const c of backend.changes(G)) changes.push(c)
    })()
    return { name, port, backend, changes }
  })
  /** The invariant, checked at an instant: a node that believes it leads holds the live key with its term. */
  const check = (): string | undefined => {
    const leaders = nodes.filter((n) => n.backend.view(G).isSelf)
    if (leaders.length > 1) return `two leaders at ${clock.now()}: ${leaders.map((l) => l.name).join(', ')}`
    for (const l of leaders) {
      const e = kv.live(G)
      const entry = e === undefined ? null : decodeEntry({ revision: e.revision, op: e.op, value: e.value })
      const term = entry === null || entry.op !== 'PUT' ? 0 : entry.term > 0 ? entry.term : entry.revision
      if (entry?.holder !== l.name || term !== l.backend.view(G).term) return `${l.name} believes it leads at ${clock.now()} but the server holds ${JSON.stringify(entry)}`
    }
    return undefined
  }
  /** Runs the clock for `ms`, checking the invariant after every timer. */
  const run = async (ms: number): Promise<void> => {
    const end = clock.now() + ms
    let budget = 100_000
    for (;;) {
      if (--budget === 0) throw new Error(`timer storm at ${clock.now()} (${replayHint(seed)}): ${clock.pending} pending`)
      const next = clock.nextDeadline()
      if (next === undefined || next > end) break
      await clock.next()
      const bad = check()
      if (bad !== undefined) throw new Error(`${bad} (${replayHint(seed)})`)
    }
    await clock.advance(end - clock.now())
  }
  return { clock, kv, nodes, run, check }
}

describe('nats backend on simulated time', () => {
  it('the leader renews at TTL/3 and holds the key; its term is the create revision', async () => {
    const { nodes, run, kv } = cluster(['a'])
    const won = nodes[0]!.backend.campaign(G)
    await run(10)
    const term = await won
    expect(term).toBe(1)
    await run(10_000)
    expect(nodes[0]!.backend.view(G)).toMatchObject({ isSelf: true, term: 1 })
    // 10 s / (1000/3 ms): about 30 renewals, every one a new revision of the same term.
    expect(nodes[0]!.backend.stats(G)!.renewals).toBeGreaterThanOrEqual(29)
    expect(kv.seq).toBeGreaterThanOrEqual(30)
  })

  it('followers compete on a timer after an expiry no watcher reports (seed 003), and win within TTL + slack + polls', async () => {
    const { nodes, run, clock } = cluster(['a', 'b', 'c'])
    const wins = nodes.map((n) => n.backend.campaign(G))
    await run(50)
    const first = await Promise.race(wins.map((w, i) => w.then((t) => ({ i, t }))))
    await run(1_000)
    const leader = nodes[first.i]!
    leader.port.cut = true // its requests and watch go nowhere: no renewals, no delete
    const cutAt = clock.now()
    await run(2 * TTL)
    const others = nodes.filter((n) => n !== leader)
    const now = others.filter((n) => n.backend.view(G).isSelf)
    expect(now).toHaveLength(1)
    const elected = now[0]!.changes.find((c) => c.reason === 'elected')!
    // The key expires at most TTL after the leader's last renewal (< cutAt); a follower wins within slack + a poll or two.
    expect(elected.at - cutAt).toBeLessThanOrEqual(TTL + 100)
    expect(elected.term).toBeGreaterThan(first.t)
    expect(leader.changes.find((c) => c.reason === 'lease-expired')).toBeDefined()
  })

  it('a resign hands over at once through the watched delete', async () => {
    const { nodes, run, clock } = cluster(['a', 'b'])
    const a = nodes[0]!.backend.campaign(G)
    await run(10)
    await a
    const b = nodes[1]!.backend.campaign(G)
    await run(500)
    const t0 = clock.now()
    // resign() resolves once the release is done, which happens on the simulated clock.
    const released = nodes[0]!.backend.resign(G)
    await run(50)
    await released
    const term = await b
    const elected = nodes[1]!.changes.find((c) => c.reason === 'elected')!
    expect(elected.at - t0).toBeLessThanOrEqual(10) // a few 1 ms legs, no wait for an expiry
    expect(term).toBeGreaterThan(1)
  })

  it.each([
    ['seen back through the watch', false],
    ['read back after the next renewal conflicts (watch broken)', true],
  ])('a renewal whose reply was lost is adopted, %s: no step-down', async (_name, deaf) => {
    const { nodes, run } = cluster(['a'])
    const won = nodes[0]!.backend.campaign(G)
    await run(10)
    await won
    nodes[0]!.port.deaf = deaf
    nodes[0]!.port.faults.replyLossRate = 1
    await run(340) // the renewal at ~333 ms lands, its reply is lost
    nodes[0]!.port.faults.replyLossRate = 0
    await run(2_000)
    const s = nodes[0]!.backend.stats(G)!
    expect(s.requestErrors).toBeGreaterThanOrEqual(1)
    expect(s.renewConflicts).toBe(deaf ? 1 : 0)
    expect(s.stepDowns).toBe(0)
    expect(nodes[0]!.backend.view(G).isSelf).toBe(true)
  })

  it('chaos: lost requests and replies, latencies, cut-offs and resigns, over 150 seeds: the invariant holds, terms increase, a leader returns', async () => {
    const base = testSeed(1000)
    let handovers = 0
    for (let seed = base; seed < base + 150; seed++) {
      const faults: SimKvFaults = { lossRate: 0.1, replyLossRate: 0.1, latencyMs: [1, 60], timeoutMs: 200 }
      const { nodes, run, clock } = cluster(['a', 'b', 'c'], seed, faults)
      const rnd = createSeededRandom(seed ^ 0x5eed)
      for (const n of nodes) n.backend.campaign(G).catch(() => undefined)
      for (let step = 0; step < 40; step++) {
        const n = nodes[rnd.int(nodes.length)]!
        const action = rnd.int(10)
        if (action === 0) n.port.cut = !n.port.cut
        else if (action === 1) void n.backend.resign(G) // resolves with its release, on the simulated clock
        else if (action <= 3) n.backend.campaign(G).catch(() => undefined)
        await run(50 + rnd.int(500))
      }
      // Heal: no faults, everyone connected and standing. A leader within the key's expiry plus slack.
      for (const n of nodes) {
        n.port.cut = false
        Object.assign(n.port.faults, { lossRate: 0, replyLossRate: 0 })
        n.backend.campaign(G).catch(() => undefined)
      }
      const healedAt = clock.now()
      const deadline = healedAt + 2 * TTL + 500
      while (!nodes.some((n) => n.backend.view(G).isSelf) && clock.now() < deadline) await run(10)
      expect(nodes.some((n) => n.backend.view(G).isSelf), `no leader ${clock.now() - healedAt} ms after the heal, ${replayHint(seed)}`).toBe(true)
      const elected = nodes
        .flatMap((n) => n.changes.filter((c) => c.reason === 'elected'))
        .sort((x, y) => x.at - y.at || x.term - y.term)
      for (let i = 1; i < elected.length; i++) expect(elected[i]!.term, replayHint(seed)).toBeGreaterThan(elected[i - 1]!.term)
      handovers += elected.length
      // close() awaits the leader's release, which completes on the simulated clock.
      const closing = nodes.map((n) => n.backend.close())
      await clock.advance(1_000)
      await Promise.all(closing)
    }
    expect(handovers).toBeGreaterThan(150)
  }, 120_000)
})

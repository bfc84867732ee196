/**
 * The membership backend's failover and handover in the simulator, N = 5, LAN: the real election
 * actors (inline, one SimulatedClock; membership-cluster.ts carries the real envelopes with LAN
 * latencies of 0.2-1 ms) with the default lease config (config.ts: 10 s lease, renewed every
 * 3.3 s, 2 s campaign jitter), all five standing for one group. And the same cluster's crash
 * detection: five swim nodes on the LAN preset (sim/cluster.ts, real encoded packets), from a
 * crash until every other member has declared the node dead.
 *
 * - crash failover: the leader's host dies (nothing more leaves it, it holds nothing); measured
 *   from the crash to the first `elected` change at another node (the new leader may publish from
 *   that instant; the first assignment it publishes follows in the same turn of its assignment
 *   actor, which is not part of this measure).
 * - handover: the leader resigns; from the resign to another node's `elected`.
 */
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { SimCluster } from '../../sim/cluster.ts'
import { DEFAULT_ELECTION_CONFIG } from '../../actors/election/config.ts'
import type { ElectionChangedMsg } from '../../actors/election/protocol.ts'
import { MembershipCluster } from './membership-cluster.ts'

const NAMES = ['n1', 'n2', 'n3', 'n4', 'n5']
const GROUP = 'bench'

export interface FailoverRun {
  crashFailoverMs: number
  handoverMs: number
}

/** One seed: a cluster of five elects a leader; the leader resigns (handover); then the new leader crashes (failover). */
export async function membershipRun(seed: number): Promise<FailoverRun> {
  const clock = new SimulatedClock()
  const c = await MembershipCluster.start({ clock, seed })
  c.model.latency = [0.2, 1]
  try {
    const elected: Array<{ name: string; at: number; isSelf: boolean }> = []
    for (const n of NAMES) {
      const b = await c.add(n)
      b.ref.on('election.changed', (e: ElectionChangedMsg) => {
        if (e.change.group === GROUP) elected.push({ name: n, at: clock.now(), isSelf: e.change.isSelf })
      })
      void b.campaign(GROUP).catch(() => undefined)
    }
    const leaderAfter = async (t: number, except: string, limitMs: number): Promise<{ name: string; at: number }> => {
      for (let waited = 0; waited < limitMs; waited += 10) {
        const e = elected.find((x) => x.isSelf && x.at >= t && x.name !== except)
        if (e !== undefined) return e
        await clock.advance(10)
      }
      throw new Error(`seed ${seed}: no leader within ${limitMs} ms`)
    }
    const first = await leaderAfter(0, '', 120_000)
    await clock.advance(5_000) // steady: renewals going, every view agrees
    const resignAt = clock.now()
    await c.nodes.get(first.name)!.backend.resign(GROUP)
    const second = await leaderAfter(resignAt, first.name, 120_000)
    const handoverMs = second.at - resignAt
    // The resigned node stands again, as a contender that lost would.
    void c.nodes.get(first.name)!.backend.campaign(GROUP).catch(() => undefined)
    await clock.advance(5_000)
    const crashAt = clock.now()
    await c.crash(second.name)
    const third = await leaderAfter(crashAt, second.name, 120_000)
    return { crashFailoverMs: third.at - crashAt, handoverMs }
  } finally {
    await c.shutdown()
  }
}

/** The same cluster's crash detection (LAN preset, five nodes): crash → every other member says dead. */
export function detectionRun(seed: number): number {
  const sim = new SimCluster({ seed, preset: 'lan' })
  const nodes = sim.warmStart(NAMES.length)
  sim.run(10_000)
  const victim = nodes[seed % nodes.length]!.name
  const at = sim.now()
  sim.crash(victim)
  const done = sim.runUntil(() => sim.running().every((n) => sim.stateOf(n.name, victim) === 'dead'), 120_000)
  if (done === undefined) throw new Error(`seed ${seed}: ${victim} not declared dead within 120 s`)
  return done - at
}

export const MEMBERSHIP_LEASE_MS = DEFAULT_ELECTION_CONFIG.leaseMs

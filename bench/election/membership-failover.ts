/**
 * The membership backend's failover and handover in the simulator, N = 5, LAN, to the first
 * assignment of the new term. What is real: the election actors and the assignment actors
 * (membership backend, default lease config of config.ts: 10 s lease, renewed every 3.3 s, 2 s
 * campaign jitter; the calculator's default windows), inline in one ActorSystem on one
 * SimulatedClock, each node's assignment actor the events peer of its election and registered as a
 * worker of one group (64 partitions), every message their real encoded bytes. What is simulated:
 * swim (membership-cluster.ts's sim-swim carries each `swim.send-gossamer`, election and assignment
 * channels alike, with LAN latencies of 0.2-1 ms and no loss) and member-manager (member events
 * are told by the harness). The same cluster's crash detection: five swim nodes on the LAN preset
 * (sim/cluster.ts, real encoded packets), from a crash until every other member declared it dead.
 *
 * - crash failover: the leader's host dies (nothing more leaves it); the others are told it failed
 *   when that seed's swim run detected the crash (detectionRun), as member-manager would tell them.
 *   Measured from the crash to the first assignment of a term above the dead leader's that a node
 *   other than its publisher accepts (`assignment.changed`).
 * - handover: the leader resigns; from the resign to the first assignment of a newer term that a
 *   node other than its publisher accepts.
 * The election alone (to the first `elected` elsewhere) is reported beside each, as before.
 */
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { SimCluster } from '../../sim/cluster.ts'
import { DEFAULT_ELECTION_CONFIG } from '../../actors/election/config.ts'
import type { ElectionChangedMsg } from '../../actors/election/protocol.ts'
import { MembershipCluster } from './membership-cluster.ts'

const NAMES = ['n1', 'n2', 'n3', 'n4', 'n5']
const GROUP = 'bench'
const PARTITIONS = 64

export interface FailoverRun {
  /** Crash -> the first assignment of a newer term accepted by a node other than its publisher. */
  crashFailoverMs: number
  /** Resign -> the same. */
  handoverMs: number
  /** Crash -> another node elected (the step before). */
  crashElectedMs: number
  /** Resign -> another node elected. */
  handoverElectedMs: number
}

/**
 * One seed: a cluster of five elects a leader, which publishes an assignment to all five; the
 * leader resigns (handover); then the new leader crashes (failover), its failure told to the others
 * `detectionMs` later.
 */
export async function membershipRun(seed: number, detectionMs: number): Promise<FailoverRun> {
  const clock = new SimulatedClock()
  const c = await MembershipCluster.start({ clock, seed, assignment: { group: GROUP, partitions: PARTITIONS } })
  c.model.latency = [0.2, 1]
  try {
    const elected: Array<{ name: string; at: number; isSelf: boolean }> = []
    const accepted: Array<{ name: string; at: number; term: number; leader: string; workers: number }> = []
    for (const n of NAMES) {
      const b = await c.add(n)
      b.ref.on('election.changed', (e: ElectionChangedMsg) => {
        if (e.change.group === GROUP) elected.push({ name: n, at: clock.now(), isSelf: e.change.isSelf })
      })
      c.nodes.get(n)!.assignment!.on('assignment.changed', (e) => {
        if (e.assignment.group === GROUP) accepted.push({ name: n, at: clock.now(), term: e.assignment.term, leader: e.assignment.leader, workers: e.assignment.workers })
      })
    }
    const until = async <T>(find: () => T | undefined, limitMs: number, what: string): Promise<T> => {
      for (let waited = 0; waited < limitMs; waited += 10) {
        const found = find()
        if (found !== undefined) return found
        await clock.advance(10)
      }
      throw new Error(`seed ${seed}: ${what} not within ${limitMs} ms`)
    }
    const electedAfter = (t: number, except: string) => () => elected.find((x) => x.isSelf && x.at >= t && x.name !== except)
    /** The first assignment above `term` accepted at or after `t` by a node that did not publish it (nor `except`). */
    const newerAfter = (t: number, term: number, except: string) => () => accepted.find((x) => x.at >= t && x.term > term && x.name !== x.leader && x.name !== except)
    /** Every running node holds an assignment of one term counting `workers` workers. */
    const settled = (workers: number) => () => {
      const last = [...c.nodes.keys()].map((n) => accepted.filter((x) => x.name === n).at(-1))
      return last.every((x) => x !== undefined && x.term === last[0]!.term && x.workers === workers) ? last[0]! : undefined
    }
    const first = await until(settled(5), 300_000, 'a first assignment at all five')
    await clock.advance(5_000) // steady: renewals going, every view agrees
    const resignAt = clock.now()
    await c.nodes.get(first.leader)!.backend.resign(GROUP)
    const handoverElected = await until(electedAfter(resignAt, first.leader), 120_000, 'a leader after the resign')
    const handover = await until(newerAfter(resignAt, first.term, first.leader), 300_000, 'an assignment after the resign')
    // The resigned node stands again, as a contender that lost would.
    void c.nodes.get(first.leader)!.backend.campaign(GROUP).catch(() => undefined)
    const second = await until(settled(5), 300_000, 'the new leader\'s assignment at all five')
    await clock.advance(5_000)
    const crashAt = clock.now()
    const victim = second.leader
    await c.crash(victim, { tellFailed: false })
    clock.setTimeout(() => c.tellAll('member-failed', [victim]), detectionMs)
    const crashElected = await until(electedAfter(crashAt, victim), 120_000, 'a leader after the crash')
    const crash = await until(newerAfter(crashAt, second.term, victim), 300_000, 'an assignment after the crash')
    return { crashFailoverMs: crash.at - crashAt, handoverMs: handover.at - resignAt, crashElectedMs: crashElected.at - crashAt, handoverElectedMs: handoverElected.at - resignAt }
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

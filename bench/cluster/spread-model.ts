/**
 * memberlist's broadcast dissemination as a model (spec §4.9-4.10), for comparing with what the
 * actors measure (spread.ts): every node has its own gossip ticker (period gossipIntervalMs, a
 * random phase); on each tick a node holding a broadcast that it has sent fewer than
 * retransmitMult × ceil(log10(n + 1)) times sends it to gossipNodes distinct random other nodes
 * (each of the tick's packets calls GetBroadcasts, so a tick costs up to gossipNodes transmits). A node
 * that receives it queues it at once (links are instant here). Only gossip carries it: probes and
 * acks piggyback too in memberlist, so the real spread is at most this slow.
 * Returns the time from the enqueue at one node to the last node having it, in ms, over the
 * trials where every node got it, and how many trials left some node without it (that node then
 * waits for a push/pull: 15-30 s).
 */
import { createSeededRandom } from '../../src/types/random.ts'

export interface SpreadModelOptions {
  n: number
  gossipNodes: number
  gossipIntervalMs: number
  retransmitMult: number
  /** gossip-queue's floor under the limit (0: memberlist's limit alone). */
  minRetransmits?: number
  trials: number
  seed: number
}

export interface SpreadModelResult {
  p50: number
  p99: number
  max: number
  /** Trials in which some node never got it by gossip (every holder's transmits ran out first). */
  missed: number
  trials: number
}

export function modelSpread(o: SpreadModelOptions): SpreadModelResult {
  const random = createSeededRandom(o.seed)
  const limit = Math.max(o.minRetransmits ?? 0, o.retransmitMult * Math.ceil(Math.log10(o.n + 1)))
  const times: number[] = []
  let missed = 0
  for (let t = 0; t < o.trials; t++) {
    // Each node's next tick, measured from the enqueue at node 0.
    const phase = Array.from({ length: o.n }, () => random.next() * o.gossipIntervalMs)
    const has = new Array<boolean>(o.n).fill(false)
    const sent = new Array<number>(o.n).fill(0)
    const gotAt = new Array<number>(o.n).fill(Infinity)
    has[0] = true
    gotAt[0] = 0
    let reached = 1
    // Ticks in time order: tick k of node i is at phase[i] + k × interval.
    for (let k = 0; reached < o.n && k < 10 * limit + 10; k++) {
      const order = [...phase.keys()].sort((a, b) => phase[a]! - phase[b]!)
      for (const i of order) {
        const at = phase[i]! + k * o.gossipIntervalMs
        if (!has[i] || gotAt[i]! > at) continue
        // memberlist's gossip(): each of the targets gets a packet with what is queued; a broadcast
        // reaching its limit leaves the queue, so the later targets of the tick may get nothing.
        const targets = pickOthers(o.n, i, o.gossipNodes, () => random.next())
        for (const j of targets) {
          if (sent[i]! >= limit) break
          sent[i]!++
          if (!has[j]) {
            has[j] = true
            gotAt[j] = at
            reached++
          }
        }
      }
    }
    if (reached < o.n) missed++
    else times.push(Math.max(...gotAt))
  }
  times.sort((a, b) => a - b)
  const q = (p: number) => Math.round(times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)] ?? NaN)
  return { p50: q(0.5), p99: q(0.99), max: Math.round(times.at(-1) ?? NaN), missed, trials: o.trials }
}

function pickOthers(n: number, self: number, k: number, rnd: () => number): number[] {
  const others = [...Array(n).keys()].filter((x) => x !== self)
  for (let i = others.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[others[i], others[j]] = [others[j]!, others[i]!]
  }
  return others.slice(0, k)
}

/**
 * memberlist's gossip ticker (spec §4.7) as swim runs it: every gossipIntervalMs up to gossipNodes
 * random members (alive, suspect, or dead within gossipToTheDeadTimeMs) each get one packet filled
 * with broadcasts, one after the other; the round ends at the first packet whose fill came back
 * empty, as memberlist's gossip() returns when getBroadcasts has nothing. Two departures, both
 * local (peers see memberlist's own packets):
 * - parking: a tick that finds nothing to send (env.broadcastsWaiting) is not re-armed, so an idle
 *   node wakes for its probes only, until broadcasts wait again (`waiting`);
 * - early rounds: fresh news may go half an interval after the last round (see `waiting`);
 * - rounds at once: a suspect or dead this node originated goes now (see `urgent`);
 * - join rounds: news of a member this node did not know goes within an eighth of an interval
 *   (see `joinNews`).
 * Declares the narrow host it needs: no import of the core.
 */
import type { TransportAddress } from '../../src/transport/transport.ts'
import type { SwimConfig } from './config.ts'
import type { GossipRound, PacketRequest, SwimEnv } from './effects.ts'
import type { NodeRecord, NodeTable } from './node-table.ts'
import { kRandom } from './probe-list.ts'

export const GOSSIP_TIMER = 'gossip-tick'
/**
 * fastJoinPropagation: a round with news of a new member goes at least gossipIntervalMs / this
 * after the last round (25 ms at LAN timings, 62 ms WAN, 12 ms local).
 */
export const JOIN_ROUND_DIVISOR = 8

export interface GossipHost {
  readonly config: SwimConfig
  readonly env: SwimEnv
  readonly table: NodeTable
  setTimer(key: string, delayMs: number): void
  /** One packet; `gossip` marks it as part of a round (its result decides on the rest). */
  sendPacket(req: PacketRequest, gossip?: GossipRound): void
  addressOf(n: NodeRecord): TransportAddress
  isStopped(): boolean
  /** Our leave runs (no early rounds then). */
  leaving(): boolean
}

export class GossipTicker {
  /** The tick found nothing to send and was not re-armed (env.broadcastsWaiting). */
  private parked = false
  /** When the last gossip round went, and when the armed tick is due (actor clock, ms). */
  private lastRoundAt = Number.NEGATIVE_INFINITY
  private dueAt = Number.POSITIVE_INFINITY
  /** `urgent` ran with the queue in another actor: the next fresh lease holds that news, and goes at once. */
  private urgentLease = false
  /** The next round that sends goes to live members only (see `urgent`). */
  private liveOnly = false
  /** `joinNews` ran with the queue in another actor: the next fresh lease holds that news (see `joinNews`). */
  private joinLease = false

  constructor(private readonly host: GossipHost) {}

  /** Whether this node gossips at all (gossipNodes and gossipIntervalMs both set). */
  get enabled(): boolean {
    const { gossipNodes, gossipIntervalMs } = this.host.config
    return gossipNodes > 0 && gossipIntervalMs > 0
  }

  /** Arms the tick `delayMs` from now. */
  arm(delayMs: number): void {
    this.dueAt = this.host.env.now() + delayMs
    this.host.setTimer(GOSSIP_TIMER, delayMs)
  }

  /**
   * A lease with entries came (`fresh`: one of them this node never sent). memberlist sends news
   * at its next gossip tick, a random 0 to gossipIntervalMs away. Ours:
   * - a parked tick resumes at once (the last round was a whole interval ago or more);
   * - fresh news while the tick is armed goes out half an interval after the last round, if the
   *   armed tick is due later than that. Without this, news that came just after a round (a join's
   *   alive a moment after the one that woke the parked tick) waited a whole interval, where
   *   memberlist's news waits half a one on average.
   * Rounds stay at least half an interval apart: at most twice memberlist's gossip rate, and only
   * while news keeps coming; with none the ticks keep their interval (or park). Not while our own
   * leave runs: memberlist sends its dead message a whole interval after the round that finished
   * Serf's leave intent, and peers that get the dead before the intent report us failed.
   */
  waiting(fresh: boolean): void {
    if (this.host.isStopped() || !this.enabled) return
    const now = this.host.env.now()
    const urgent = fresh && this.urgentLease
    const join = fresh && this.joinLease
    if (fresh) {
      this.urgentLease = false
      this.joinLease = false
    }
    if (urgent) this.liveOnly = true
    if (this.parked) {
      this.parked = false
      return this.arm(0)
    }
    if (!fresh || this.host.leaving()) return
    if (urgent) return this.arm(0)
    if (join) return this.armJoinRound()
    const earliest = Math.max(now, this.lastRoundAt + Math.floor(this.host.config.gossipIntervalMs / 2))
    if (earliest < this.dueAt) this.arm(earliest - now)
  }

  /**
   * fastCrashDetection: a suspect or dead this node originated was just queued (peers' suspicion
   * timers wait for exactly this news): a round now rather than at the next tick, 0-200 ms away at
   * LAN timings. That round goes to live (alive or suspect) members only, so in a small cluster it
   * does not spend a packet on the node just declared dead. With the queue in another actor
   * (env.broadcastsWaiting), the news arrives with the next fresh lease, which then goes at once
   * too. Bounded by its causes: one per failed probe of ours (one probe per interval) and one per
   * suspicion we declare; the regular ticks keep their interval. Not while our leave runs (see
   * `waiting`). Returns whether a round was brought forward.
   */
  urgent(): boolean {
    if (this.host.isStopped() || !this.enabled || this.host.leaving()) return false
    this.liveOnly = true
    if (this.host.env.broadcastsWaiting !== undefined) this.urgentLease = true
    this.parked = false
    this.arm(0)
    return true
  }

  /**
   * fastJoinPropagation: an alive of a member this node did not know was just queued (a join,
   * learned by push/pull or gossip). memberlist sends it at the next tick, 0 to gossipIntervalMs
   * away (up to half an interval with our early rounds), and every member that learns of the join
   * from us waits as long again before passing it on: in a join burst that wait, not the joins'
   * own exchanges, is most of the time until every member lists every other. The round goes an
   * eighth of an interval after the last one, or now if that has passed. Bounded: at most
   * JOIN_ROUND_DIVISOR rounds per interval, and only while joins keep coming (one per member this
   * node first hears of); the broadcasts' transmit limits are the queue's as before, so the news
   * is sent as many times in all, only sooner. With the queue in another actor
   * (env.broadcastsWaiting), the news arrives with the next fresh lease, which then goes as soon.
   * Not while our leave runs (see `waiting`). Returns whether a round was brought forward.
   */
  joinNews(): boolean {
    if (this.host.isStopped() || !this.enabled || this.host.leaving()) return false
    if (this.host.env.broadcastsWaiting !== undefined) {
      this.joinLease = true
      return true
    }
    this.parked = false
    this.armJoinRound()
    return true
  }

  /** Arms the tick an eighth of an interval after the last round (now, if that has passed), unless it is due sooner. */
  private armJoinRound(): void {
    const now = this.host.env.now()
    const earliest = Math.max(now, this.lastRoundAt + Math.floor(this.host.config.gossipIntervalMs / JOIN_ROUND_DIVISOR))
    if (earliest < this.dueAt) this.arm(earliest - now)
  }

  /** The tick is due. */
  tick(): void {
    // Nothing to gossip (memberlist's tick would find getBroadcasts empty and send nothing):
    // parked, not re-armed, until broadcasts wait again.
    this.dueAt = Number.POSITIVE_INFINITY
    if (this.host.env.broadcastsWaiting?.() === false) {
      this.parked = true
      return
    }
    this.arm(this.host.config.gossipIntervalMs)
    // A round only when it had someone to send to: a lone node's ticks hold no news back.
    if (this.round(this.liveOnly) > 0) {
      this.lastRoundAt = this.host.env.now()
      this.liveOnly = false
    }
  }

  /** A round's packet was not empty: the next target gets its own (the send's result came back). */
  next(round: GossipRound): void {
    this.sendTo(round.targets, round.index + 1)
  }

  /**
   * memberlist gossip(): up to gossipNodes random targets, each gets a fresh batch. Returns how
   * many members the round picked to send to.
   */
  private round(liveOnly: boolean): number {
    const { env, config, table } = this.host
    const now = env.now()
    // Sample names from the probe list (no per-tick copy of the table: this runs 5×/s per node).
    const targets = kRandom(table.probeList.list(), config.gossipNodes, () => env.random(), (name) => {
      if (name === table.selfName) return false
      const n = table.get(name)
      if (n === undefined) return false
      if (n.state === 'alive' || n.state === 'suspect') return true
      return !liveOnly && n.state === 'dead' && now - n.stateChangeMs <= config.gossipToTheDeadTimeMs
    })
    this.sendTo(targets, 0)
    return targets.length
  }

  /** The gossip packet to targets[i] (or the next one still known); the send's result decides on the rest. */
  private sendTo(targets: string[], i: number): void {
    // A send's result may come back after a stop.
    for (; i < targets.length && !this.host.isStopped(); i++) {
      const n = this.host.table.get(targets[i]!)
      if (n === undefined) continue
      this.host.sendPacket({ to: this.host.addressOf(n), messages: [], piggyback: true, crc: (n.vsn[1] ?? 0) >= 5 }, { targets, index: i })
      return
    }
  }
}

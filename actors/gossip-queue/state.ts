/**
 * The gossip-queue core's state, inputs and effects (core.ts runs them), and the small helpers every
 * part of the core shares: the retransmit limit of a queue, the leave listener that tells waiters,
 * the lease's change mark. Plain data; see core.ts for how it is carried from turn to turn and what
 * of it is persisted.
 */
import type { BroadcastFinishedMsg, FillReply, GossipQueueInbound, GossipQueueName, StatsReply } from './protocol.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { GossipQueueConfig } from './config.ts'
import type { EarlyTell, LeaveListener, TransmitQueueState } from './transmit-queue.ts'
import { emptyQueue, retransmitLimit } from './transmit-queue.ts'

/** Who to tell when a broadcast leaves its queue (null: nobody asked). */
export type Notify = { to: string; id: string } | null

/** The two sources of a cluster size: swim's node table and member-manager's member table. */
export type ClusterSizeSource = 'memberlist' | 'serf'

/** Last size told per source; null = not told yet (the queues then count the cluster as 1 node). */
export type ClusterSizes = Record<ClusterSizeSource, number | null>

/** One queue with what the set keeps about it besides the items. */
export interface QueueState {
  items: TransmitQueueState<Notify>
  /**
   * The waiters of queued broadcasts, by lease entry id: persisted (the broadcasts are not, see
   * transmit-queue.ts), so a restore can tell every waiter its broadcast is gone.
   */
  waiting: Record<string, { to: string; id: string }>
  /** Rejected at enqueue: empty, or longer than maxMessageBytes. */
  oversized: number
  /** The largest room for one broadcast offered since the last check by a fill or a report that drew on this queue; −1 = none. */
  roomSinceCheck: number
}

/** What the lease producer counts (reports that were not applied are counted, never errors). */
export interface LeaseProducerStats {
  /** `gossip.sent` reports applied. */
  reportsApplied: number
  /** Reports of another epoch (a previous start of this actor): ignored. */
  reportsOtherEpoch: number
  /** Reports at or below the last applied number (duplicated or out of order): ignored. */
  reportsStale: number
  /** Report numbers that never arrived before a later one was applied (lost on the way). */
  reportsMissed: number
  /** Entry ids in reports that were no longer queued (invalidated, pruned, or finished meanwhile). */
  unknownIds: number
  /** Transmits reported beyond a broadcast's limit (counted in `transmits`; 0 with a correct consumer). */
  overLimit: number
}

/** The producer side of the piggyback lease (protocol.ts `gossip.lease`). */
export interface LeaseState {
  /** The actor that receives leases (persisted: a restarted gossip-queue keeps pushing). */
  subscriber: string | null
  /** Drawn per start of the actor; a report of another epoch is void. */
  epoch: number
  /** Entry id of the next enqueued broadcast: unique within the epoch. */
  nextEntry: number
  /** Increments whenever what a lease holds changes: a lease carries the version it was built at. */
  version: number
  /** The last report of this epoch applied. */
  appliedReport: number
  stats: LeaseProducerStats
}

export interface GossipQueueState {
  config: GossipQueueConfig
  /** Persisted: the owners of the tables send a size only when it changes. */
  clusterSizes: ClusterSizes
  queues: Record<GossipQueueName, QueueState>
  lease: LeaseState
  /** Notifications and leases that could not be delivered (unknown or stopped receiver): counted, not retried. */
  undeliveredNotifications: number
  /** Clock time of the last queue check. */
  lastCheckAt: number
  /** Supervised restarts, as the runtime counts them (from `runtime.restored`). */
  restarts: number
  /** Broadcasts that were queued when the actor was restarted, and were dropped with the old queues. */
  lostOnRestart: number
  /** Restarts whose losses could not be counted (the restored queues could not be read). */
  restartsUncounted: number
}

/** Inputs besides the protocol's messages: the queue check timer, a restore, the shutdown. */
export type GossipCoreInput =
  | GossipQueueInbound
  | { type: 'queue-check'; now: number }
  | { type: 'restored'; restarts: number; epoch: number }
  | { type: 'shutdown' }

export type GossipEffect =
  | { type: 'tell'; to: string; msg: BroadcastFinishedMsg }
  | { type: 'reply'; to: ReplyTo<FillReply> | ReplyTo<StatsReply> | undefined; msg: FillReply | StatsReply }
  /** A lease should go to `to`: built from the state at the end of the turn (one per turn). */
  | { type: 'push-lease'; to: string }
  | { type: 'warn'; obj: Record<string, unknown>; msg: string }

export interface StepResult {
  state: GossipQueueState
  effects: GossipEffect[]
}

export const NO_LEASE_STATS: LeaseProducerStats = { reportsApplied: 0, reportsOtherEpoch: 0, reportsStale: 0, reportsMissed: 0, unknownIds: 0, overLimit: 0 }

export function emptyQueues(): Record<GossipQueueName, QueueState> {
  const one = (): QueueState => ({ items: emptyQueue<Notify>(), waiting: {}, oversized: 0, roomSinceCheck: -1 })
  return { memberlist: one(), 'serf-intent': one(), 'serf-query': one(), 'serf-event': one() }
}

/** A fresh start: empty queues, no sizes told, a new lease epoch. */
export function initialState(config: GossipQueueConfig, epoch: number, now: number): GossipQueueState {
  return {
    config,
    clusterSizes: { memberlist: null, serf: null },
    queues: emptyQueues(),
    lease: { subscriber: null, epoch, nextEntry: 0, version: 0, appliedReport: 0, stats: { ...NO_LEASE_STATS } },
    undeliveredNotifications: 0,
    lastCheckAt: now,
    restarts: 0,
    lostOnRestart: 0,
    restartsUncounted: 0,
  }
}

/** The source whose size sets a queue's limit. */
export const sourceOf = (name: GossipQueueName): ClusterSizeSource => (name === 'memberlist' ? 'memberlist' : 'serf')

/** A queue's retransmit limit now. */
export function limitOf(state: GossipQueueState, name: GossipQueueName): number {
  // A restored config from before minRetransmits existed has none: memberlist's formula alone.
  return retransmitLimit(state.config.retransmitMult, state.clusterSizes[sourceOf(name)] ?? 0, state.config.minRetransmits ?? 0)
}

/**
 * memberlist's own limit for a queue, without the floor (minRetransmits): a broadcast's waiter is
 * told 'transmitted' once it has this many transmits, as memberlist's Finished would tell it (a
 * Serf leave waits on its intent so), while the floor keeps it queued for a few more.
 */
export function tellLimitOf(state: GossipQueueState, name: GossipQueueName): number {
  return retransmitLimit(state.config.retransmitMult, state.clusterSizes[sourceOf(name)] ?? 0)
}

/** Tells a waiter 'transmitted' at memberlist's limit, while the broadcast stays queued (floor). */
export function earlyTell(state: GossipQueueState, queue: GossipQueueName, effects: GossipEffect[]): EarlyTell<Notify> {
  const tell = notifier(state, queue, effects)
  return { at: tellLimitOf(state, queue), tell: (item) => tell(item, 'transmitted') }
}

/**
 * A leave listener that turns a waited-for broadcast's departure into a `tell` effect, once: a
 * waiter told early (earlyTell) is no longer in `waiting` and is not told again.
 */
export function notifier(state: GossipQueueState, queue: GossipQueueName, effects: GossipEffect[]): LeaveListener<Notify> {
  const waiting = state.queues[queue].waiting
  return (item, outcome) => {
    if (item.tag === null || item.tag === undefined) return
    if (!Object.hasOwn(waiting, item.entry)) return
    delete waiting[item.entry]
    effects.push({ type: 'tell', to: item.tag.to, msg: { type: 'gossip.broadcast-finished', queue, id: item.tag.id, outcome } })
  }
}

/** What a lease holds changed: a new version, and a lease for the subscriber at the end of the turn. */
export function leaseChanged(state: GossipQueueState, effects: GossipEffect[]): void {
  state.lease.version++
  if (state.lease.subscriber !== null) effects.push({ type: 'push-lease', to: state.lease.subscriber })
}

/** Notes the room a packet offered the queues it drew on (for the unsendable check). */
export function noteRoom(state: GossipQueueState, queues: readonly GossipQueueName[], room: number): void {
  for (const name of queues) if (room > state.queues[name].roomSinceCheck) state.queues[name].roomSinceCheck = room
}

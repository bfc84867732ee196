/**
 * gossip-queue protocol: what the gossip-queue actor accepts and emits.
 *
 * The actor owns memberlist's transmit-limited broadcast queue and Serf's three (intent, event,
 * query), spec §4.9-4.10. swim enqueues alive/suspect/dead and asks for a packet's worth of
 * broadcasts on every gossip tick and piggyback; member-manager enqueues Serf messages (join/leave
 * intents now; user events and queries later) and reports Serf's member count.
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY:
 * a published `type` and its fields never change meaning. Asks carry the runtime's `replyTo`.
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'

/** Which queue a broadcast lives in. The memberlist queue is drained before the Serf ones. */
export type GossipQueueName = 'memberlist' | 'serf-intent' | 'serf-query' | 'serf-event'

/** All queues, in the order one packet is filled (spec §4.10: memberlist, then intent, query, event). */
export const GOSSIP_QUEUE_NAMES: readonly GossipQueueName[] = ['memberlist', 'serf-intent', 'serf-query', 'serf-event']

/** The Serf queues: their retransmit limit follows Serf's member count, not memberlist's node count. */
export const SERF_QUEUE_NAMES: readonly GossipQueueName[] = ['serf-intent', 'serf-query', 'serf-event']

/** memberlist's message type byte for a delegate (Serf) message, prefixed to Serf broadcasts on fill. */
export const USER_MESSAGE_TYPE_BYTE = 8

/**
 * One broadcast to spread by gossip.
 * - memberlist queue: `message` is a complete memberlist message (`[type][msgpack body]`), e.g. alive.
 * - Serf queues: `message` is a Serf message (`[serfType][msgpack body]`) WITHOUT the memberlist
 *   `0x08` user prefix; the queue adds that prefix when it hands the message out (see `gossip.fill`).
 */
export interface Broadcast {
  queue: GossipQueueName
  /** The encoded message. Ownership passes to the queue: the sender must not mutate it afterwards. */
  message: Uint8Array
  /**
   * Node name for a named broadcast (memberlist's alive/suspect/dead about that node): enqueueing
   * replaces (invalidates) any queued broadcast with the same name in the same queue.
   */
  name?: string
  /** A unique broadcast never invalidates and is never invalidated (every Serf message is unique). */
  unique?: boolean
  /**
   * Ask to be told when this broadcast leaves the queue (fully transmitted, invalidated or pruned),
   * e.g. to wait for a leave to spread before shutting down (spec §4.6, §5.4). `to` names the actor
   * that receives the `gossip.broadcast-finished` event; `id` is echoed back.
   */
  notify?: { to: string; id: string }
}

/** Tell: add a broadcast to its queue. Never waits on a fill in progress. */
export interface EnqueueMsg {
  type: 'gossip.enqueue'
  broadcast: Broadcast
}

/**
 * Tell: the current cluster size that sets the retransmit limit of a group of queues (spec §4.9).
 * `source: 'memberlist'` comes from swim's node table (memberlist queue); `source: 'serf'` comes from
 * member-manager's member table (Serf queues, counting failed and left members). The queue keeps the
 * last value received from the table's owner; it never derives the size itself (lesson 004).
 * The owners send it when the size changes, so the queue persists the last value per source: a
 * supervised restart of the gossip-queue keeps it (the queued broadcasts themselves do not survive).
 * Until a source has told a size, its queues count the cluster as 1 node (limit = retransmitMult).
 */
export interface ClusterSizeMsg {
  type: 'gossip.cluster-size'
  source: 'memberlist' | 'serf'
  numNodes: number
}

/**
 * Ask: fill one packet. Takes the largest broadcasts that still fit, tier by tier of transmit count,
 * and counts a transmit for each one returned (spec §4.10).
 * Budget: every returned part costs `overheadBytes + message length`; parts from Serf queues are
 * returned with the `0x08` prefix already in place (their length includes it), so one budget
 * covers the whole compound. Queues are drained in `queues` order (default GOSSIP_QUEUE_NAMES).
 * Reply: `FillReply`.
 */
export interface FillMsg {
  type: 'gossip.fill'
  /** Per-part cost besides the message itself; memberlist's compound overhead is 2 bytes. */
  overheadBytes: number
  /** Total byte budget for the parts (e.g. UDP buffer 1400 − 2 − 29 if encrypted − the piggybacked msg). */
  limitBytes: number
  /** Which queues to draw from, in order; default all, memberlist first. */
  queues?: readonly GossipQueueName[]
  replyTo?: ReplyTo<FillReply>
}

/** Reply to `gossip.fill`: complete memberlist messages, ready to become compound parts. */
export interface FillReply {
  type: 'gossip.filled'
  parts: Uint8Array[]
  /** Bytes charged against the budget (sum of overhead + length per part). */
  usedBytes: number
}

/** Ask: counters and depths of every queue. Reply: `StatsReply`. */
export interface StatsMsg {
  type: 'gossip.stats'
  replyTo?: ReplyTo<StatsReply>
}

/** Per-queue counters. Every broadcast that leaves a queue is counted under exactly one outcome. */
export interface QueueStats {
  /** Broadcasts currently queued. */
  depth: number
  /** Current retransmit limit: retransmitMult × ceil(log10(max(n, 1) + 1)), never below retransmitMult. */
  retransmitLimit: number
  /** The cluster size last told by the table's owner (0 until told; the limit then counts it as 1). */
  numNodes: number
  /** Whether the table's owner has told a size (directly, or restored after a supervised restart). */
  sizeKnown: boolean
  enqueued: number
  /** Part-transmissions handed out by fill (one per broadcast per fill). */
  transmits: number
  /** Left the queue after reaching the retransmit limit. */
  finished: number
  /** Replaced by a newer broadcast with the same name. */
  invalidated: number
  /** Dropped by depth pruning (oldest-transmitted first). */
  pruned: number
  /** Rejected at enqueue: empty, or longer than the configured maxMessageBytes (no packet could carry it). */
  oversized: number
  /**
   * Of `pruned`: broadcasts that no fill since the previous queue check had room for (too long for
   * the packets actually sent, e.g. under encryption), dropped at the check instead of sitting.
   */
  unsendable: number
}

export interface StatsReply {
  type: 'gossip.stats-reply'
  queues: Record<GossipQueueName, QueueStats>
}

/** Tell: drop every queued broadcast (e.g. on shutdown); counted as pruned. */
export interface ResetMsg {
  type: 'gossip.reset'
}

/**
 * Tell (swim -> gossip-queue): send me piggyback leases (`gossip.lease`) from now on. swim sends it
 * at every start (a restart included); gossip-queue keeps the last subscriber (persisted) and
 * answers with a fresh lease at once. Replaces the per-packet `gossip.fill` ask on the packet path.
 */
export interface LeaseSubscribeMsg {
  type: 'gossip.lease-subscribe'
  /** The actor id that receives `gossip.lease`. */
  to: string
}

/**
 * Tell (swim -> gossip-queue): what swim piggybacked from the lease, reported after the fact.
 * Applied as transmits, exactly as a `gossip.fill` of the same parts would have counted them.
 */
export interface LeaseSentMsg {
  type: 'gossip.sent'
  /** The lease epoch the ids belong to (a report of another epoch is ignored and counted). */
  epoch: number
  /** Increments per report from 1 within an epoch; leases echo the last one applied (`appliedReport`). */
  report: number
  /** [lease entry id, times sent] pairs; one id at most once per report. */
  sent: Array<[number, number]>
  /**
   * Per queue, the largest room for one broadcast (limitBytes - overheadBytes) that a packet offered
   * since the previous report; the queue's unsendable check uses it as it used fills' budgets.
   */
  room: Partial<Record<GossipQueueName, number>>
}

/** Everything the gossip-queue actor accepts. Append-only. */
export type GossipQueueInbound = EnqueueMsg | ClusterSizeMsg | FillMsg | StatsMsg | ResetMsg | LeaseSubscribeMsg | LeaseSentMsg

/** Why a broadcast left its queue. */
export type BroadcastOutcome = 'transmitted' | 'invalidated' | 'pruned'

/** Emitted to `broadcast.notify.to` when a broadcast that asked for it leaves its queue. */
export interface BroadcastFinishedMsg {
  type: 'gossip.broadcast-finished'
  queue: GossipQueueName
  id: string
  outcome: BroadcastOutcome
}

/** One broadcast swim may piggyback, as queued: `message` is what a fill would hand out. */
export interface LeaseEntry {
  /** Unique within the lease epoch (never reused in it). */
  id: number
  queue: GossipQueueName
  message: Uint8Array
  /** Transmits the queue has counted so far (reports up to `appliedReport` included). */
  transmits: number
  /** Insertion order within its queue (higher = newer): the queue's tie-break. */
  seq: number
  /**
   * Set when someone waits for this broadcast (a graceful leave's intent or dead message): the
   * transmits at which gossip-queue tells the waiter (memberlist's own limit). The consumer may
   * report the send that reaches it at once instead of at the end of its batch window (swim does
   * for its leave's dead message).
   */
  tellAt?: number
}

/**
 * Tell (gossip-queue -> subscriber): the broadcasts swim may piggyback, ahead of time. A lease is
 * bounded (config: count and bytes), the front of each queue in queue order, and replaces the
 * previous one whole. Sent again (coalesced per turn) whenever what it holds changes: an enqueue,
 * an invalidation, a limit change, a report applied. src/broadcast/piggyback-lease.ts is the
 * consumer: it picks exactly as TransmitQueue.fill would, never sends an entry past its limit (it
 * replays its own unapplied reports over a newer lease) and batches the reports.
 */
export interface LeaseMsg {
  type: 'gossip.lease'
  /** Changes when gossip-queue restarts (entry ids start over): reports of an old epoch are void. */
  epoch: number
  /** Increments per lease within an epoch; an older version than the one held is ignored. */
  version: number
  /** The last `gossip.sent` report of this epoch already counted in the entries' `transmits`. */
  appliedReport: number
  /** Per queue, the current retransmit limit: an entry is sent at most `limit - transmits` more times. */
  limits: Record<GossipQueueName, number>
  entries: LeaseEntry[]
  /** Queued broadcasts left out of this lease by its bounds (they come in a later lease). */
  leftOut: number
}

/** Everything the gossip-queue actor emits (replies and notifications). Append-only. */
export type GossipQueueOutbound = FillReply | StatsReply | BroadcastFinishedMsg | LeaseMsg

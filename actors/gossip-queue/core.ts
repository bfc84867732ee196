/**
 * The gossip-queue core: the four broadcast queues of one node (memberlist's and Serf's intent,
 * query and event queues, spec §4.9-4.10), the composition of one packet from them, and the
 * piggyback lease that lets swim fill packets without asking. Pure: `step(state, input)` returns the
 * next state and the effects for the machine to run (tell a waiter, reply, push a lease, log).
 *
 * The state is the machine's context. How it is carried from turn to turn: the top level (sizes,
 * counters, lease bookkeeping) is a new object per step; the queues are owned and updated in place
 * (transmit-queue.ts), shared by the old and the new top level. Copying the tiers (up to
 * hardMaxDepth items each, with their Uint8Arrays) on every fill would cost more than the fill, and
 * nothing holds an old state. What is persisted is a projection, by construction: the broadcasts
 * and their indexes are non-enumerable fields of each queue, so the runtime's persisted copy (and
 * XState's) keep only sizes, counters and waiters. Measured in bench/gossip-queue.bench.ts
 * ("actor ... deep-1000": the per-turn persisting cost with 1,000 broadcasts queued).
 */
import type { Broadcast, BroadcastFinishedMsg, FillReply, GossipQueueInbound, GossipQueueName, LeaseSentMsg, QueueStats, StatsReply } from './protocol.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import { GOSSIP_QUEUE_NAMES, USER_MESSAGE_TYPE_BYTE } from './protocol.ts'
import type { GossipQueueConfig } from './config.ts'
import { queueDepthLimit } from './config.ts'
import type { LeaveListener, TransmitQueueState } from './transmit-queue.ts'
import { countTransmits, dropLongerThan, emptyQueue, enqueueItem, fillQueue, finishAtLimit, isLive, orderedItems, pruneQueue, retransmitLimit } from './transmit-queue.ts'

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

const NO_LEASE_STATS: LeaseProducerStats = { reportsApplied: 0, reportsOtherEpoch: 0, reportsStale: 0, reportsMissed: 0, unknownIds: 0, overLimit: 0 }

function emptyQueues(): Record<GossipQueueName, QueueState> {
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
  return retransmitLimit(state.config.retransmitMult, state.clusterSizes[sourceOf(name)] ?? 0)
}

/** A leave listener that turns a waited-for broadcast's departure into a `tell` effect. */
function notifier(state: GossipQueueState, queue: GossipQueueName, effects: GossipEffect[]): LeaveListener<Notify> {
  const waiting = state.queues[queue].waiting
  return (item, outcome) => {
    if (item.tag === null || item.tag === undefined) return
    delete waiting[item.entry]
    effects.push({ type: 'tell', to: item.tag.to, msg: { type: 'gossip.broadcast-finished', queue, id: item.tag.id, outcome } })
  }
}

/** What a lease holds changed: a new version, and a lease for the subscriber at the end of the turn. */
function leaseChanged(state: GossipQueueState, effects: GossipEffect[]): void {
  state.lease.version++
  if (state.lease.subscriber !== null) effects.push({ type: 'push-lease', to: state.lease.subscriber })
}

/**
 * Queues a broadcast. Serf messages get the memberlist `0x08` prefix here, once, so fills hand out
 * ready compound parts. Returns false (and counts it) when the message could never fit a packet.
 */
export function enqueueBroadcast(state: GossipQueueState, b: Broadcast, effects: GossipEffect[]): boolean {
  const q = state.queues[b.queue]
  const message = b.queue === 'memberlist' ? b.message : prefixUserType(b.message)
  if (message.length > state.config.maxMessageBytes || b.message.length === 0) {
    q.oversized++
    if (b.notify !== undefined) effects.push({ type: 'tell', to: b.notify.to, msg: { type: 'gossip.broadcast-finished', queue: b.queue, id: b.notify.id, outcome: 'pruned' } })
    return false
  }
  const leave = notifier(state, b.queue, effects)
  const entry = state.lease.nextEntry++
  if (b.notify !== undefined) q.waiting[entry] = { to: b.notify.to, id: b.notify.id }
  enqueueItem(q.items, message, b.name, b.unique, b.notify ?? null, entry, leave)
  if (q.items.size > state.config.hardMaxDepth) pruneQueue(q.items, state.config.hardMaxDepth, leave)
  leaseChanged(state, effects)
  return true
}

/**
 * Cluster size from the table's owner. Returns the size now in use (a whole number), or undefined
 * if `numNodes` was refused. When the limit drops, a broadcast already transmitted as often as the
 * new limit allows has finished and leaves ('transmitted'), so a lease never offers it again.
 */
export function setClusterSize(state: GossipQueueState, source: ClusterSizeSource, numNodes: number, effects: GossipEffect[]): number | undefined {
  if (!Number.isFinite(numNodes) || numNodes < 0) return undefined
  const n = Math.floor(numNodes)
  if (state.clusterSizes[source] === n) return n
  const names = GOSSIP_QUEUE_NAMES.filter((q) => sourceOf(q) === source)
  const before = names.map((q) => limitOf(state, q))
  state.clusterSizes = { ...state.clusterSizes, [source]: n }
  let changed = false
  names.forEach((q, i) => {
    const limit = limitOf(state, q)
    if (limit === before[i]) return
    changed = true
    if (limit < before[i]!) finishAtLimit(state.queues[q].items, limit, notifier(state, q, effects))
  })
  if (changed) leaseChanged(state, effects)
  return n
}

/** Notes the room a packet offered the queues it drew on (for the unsendable check). */
function noteRoom(state: GossipQueueState, queues: readonly GossipQueueName[], room: number): void {
  for (const name of queues) if (room > state.queues[name].roomSinceCheck) state.queues[name].roomSinceCheck = room
}

/** Fills one packet from `queues` in order; returns the parts and the bytes charged. */
export function fillPacket(state: GossipQueueState, overheadBytes: number, limitBytes: number, queues: readonly GossipQueueName[], effects: GossipEffect[]): { parts: Uint8Array[]; usedBytes: number } {
  const parts: Uint8Array[] = []
  let used = 0
  noteRoom(state, queues, limitBytes - overheadBytes)
  for (const name of queues) {
    const remaining = limitBytes - used
    if (remaining - overheadBytes <= 0) break
    used += fillQueue(state.queues[name].items, limitOf(state, name), overheadBytes, remaining, parts, notifier(state, name, effects))
  }
  if (parts.length > 0) leaseChanged(state, effects)
  return { parts, usedBytes: used }
}

/**
 * A `gossip.sent` report: each (entry id, times) counted as that many fills handing it out would
 * have (transmitted at the limit, its waiter told). Reports of another epoch, at or below the last
 * applied number, and ids no longer queued are counted and otherwise ignored. A report past a gap
 * is applied (the missing ones are counted as missed): its sends happened, and holding it back
 * would leave the consumer waiting for an acknowledgement that never comes.
 */
export function applyReport(state: GossipQueueState, msg: LeaseSentMsg, effects: GossipEffect[]): void {
  const lease = state.lease
  if (msg.epoch !== lease.epoch) {
    lease.stats.reportsOtherEpoch++
    return
  }
  if (msg.report <= lease.appliedReport) {
    lease.stats.reportsStale++
    return
  }
  lease.stats.reportsMissed += msg.report - lease.appliedReport - 1
  lease.appliedReport = msg.report
  lease.stats.reportsApplied++
  for (const [id, times] of msg.sent) {
    let found = false
    for (const name of GOSSIP_QUEUE_NAMES) {
      const q = state.queues[name].items
      const item = q.byEntry.get(id)
      if (item === undefined) continue
      lease.stats.overLimit += countTransmits(q, item, times, limitOf(state, name), notifier(state, name, effects))
      found = true
      break
    }
    if (!found) lease.stats.unknownIds++
  }
  for (const name of GOSSIP_QUEUE_NAMES) {
    const room = msg.room[name]
    if (room !== undefined) noteRoom(state, [name], room)
  }
  // Always a new lease: it tells the consumer the report was counted (appliedReport).
  leaseChanged(state, effects)
}

/** What a queue check found, for the log. */
export interface QueueCheckResult {
  /** Dropped by depth pruning. */
  pruned: Partial<Record<GossipQueueName, number>>
  /** Dropped because no fill since the previous check offered room for them (also counted as pruned). */
  unsendable: Partial<Record<GossipQueueName, number>>
  /** Queues at or above queueDepthWarning after pruning, with their depth. */
  warnings: Partial<Record<GossipQueueName, number>>
}

/**
 * Serf's periodic queue check: prune each queue to its depth limit and report warnings.
 *
 * Not in Serf or memberlist: first, a broadcast longer than the largest room any fill (or lease
 * report) offered its queue since the previous check leaves as 'pruned' (counted as `unsendable`,
 * its waiter notified). Fill skips what does not fit and takes smaller ones, so a too-long
 * broadcast is never handed out; it would otherwise sit at the front of its tier (pruned last) and
 * its waiter would never hear. That happens when maxMessageBytes allows more than the packets can
 * carry, e.g. the plaintext 1,396 under encryption (1,367 fit: see gossipQueueConfigFor). Budgets
 * are set by config, and swim sends at least every gossip tick, so one check interval is a fair
 * sample; a window without packets (no peers) or whose packets offered no room drops nothing.
 */
export function checkQueues(state: GossipQueueState, effects: GossipEffect[]): QueueCheckResult {
  const result: QueueCheckResult = { pruned: {}, unsendable: {}, warnings: {} }
  let dropped = 0
  for (const name of GOSSIP_QUEUE_NAMES) {
    const q = state.queues[name]
    const room = q.roomSinceCheck
    q.roomSinceCheck = -1
    const leave = notifier(state, name, effects)
    if (room > 0) {
      const unsendable = dropLongerThan(q.items, room, leave)
      if (unsendable > 0) result.unsendable[name] = unsendable
      dropped += unsendable
    }
    const pruned = pruneQueue(q.items, queueDepthLimit(state.config, state.clusterSizes[sourceOf(name)] ?? 0), leave)
    if (pruned > 0) result.pruned[name] = pruned
    dropped += pruned
    if (q.items.size >= state.config.queueDepthWarning) result.warnings[name] = q.items.size
  }
  if (dropped > 0) leaseChanged(state, effects)
  return result
}

/** Drops everything (shutdown, reset); counted as pruned, waiters told. */
export function resetQueues(state: GossipQueueState, effects: GossipEffect[]): void {
  let dropped = 0
  for (const name of GOSSIP_QUEUE_NAMES) dropped += pruneQueue(state.queues[name].items, 0, notifier(state, name, effects))
  if (dropped > 0) leaseChanged(state, effects)
}

/**
 * Counts the broadcasts of queues that are being replaced (a restore) and tells every waiter
 * 'pruned'. Reads only what a persisted copy keeps (each queue's size and waiters), and tolerates a
 * copy that did not survive whole. Returns undefined when it cannot be read at all.
 */
export function abandonQueues(queues: unknown, effects: GossipEffect[]): number | undefined {
  let total = 0
  try {
    for (const name of GOSSIP_QUEUE_NAMES) {
      const q = (queues as Record<string, { items: { size: unknown }; waiting: unknown }>)[name]!
      const size = q.items.size
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined
      total += size
      if (typeof q.waiting !== 'object' || q.waiting === null) continue
      for (const w of Object.values(q.waiting as Record<string, { to?: unknown; id?: unknown }>)) {
        if (typeof w?.to === 'string' && typeof w.id === 'string') effects.push({ type: 'tell', to: w.to, msg: { type: 'gossip.broadcast-finished', queue: name, id: w.id, outcome: 'pruned' } })
      }
    }
  } catch {
    return undefined
  }
  return total
}

export function statsOf(state: GossipQueueState): Record<GossipQueueName, QueueStats> {
  const one = (name: GossipQueueName): QueueStats => {
    const q = state.queues[name]
    const size = state.clusterSizes[sourceOf(name)]
    return { depth: q.items.size, retransmitLimit: limitOf(state, name), numNodes: size ?? 0, sizeKnown: size !== null, ...q.items.counters, oversized: q.oversized }
  }
  return { memberlist: one('memberlist'), 'serf-intent': one('serf-intent'), 'serf-query': one('serf-query'), 'serf-event': one('serf-event') }
}

/** A warn effect per finding of a queue check. */
function checkWarnings(result: QueueCheckResult, effects: GossipEffect[]): void {
  for (const [queue, depth] of Object.entries(result.warnings)) effects.push({ type: 'warn', obj: { queue, depth }, msg: 'gossip queue depth warning' })
  if (Object.keys(result.pruned).length > 0) effects.push({ type: 'warn', obj: { pruned: result.pruned }, msg: 'gossip queues pruned' })
  if (Object.keys(result.unsendable).length > 0) {
    effects.push({ type: 'warn', obj: { unsendable: result.unsendable }, msg: 'gossip broadcasts dropped: no fill had room for them (maxMessageBytes above the packet budget?)' })
  }
}

/** One input: the next state (a new top level; the queues updated in place) and the effects to run. */
export function step(state: GossipQueueState, input: GossipCoreInput): StepResult {
  const next: GossipQueueState = { ...state, lease: { ...state.lease, stats: { ...state.lease.stats } } }
  const effects: GossipEffect[] = []
  if (input.type !== 'restored' && !GOSSIP_QUEUE_NAMES.every((q) => isLive(next.queues[q]?.items))) {
    // A restored copy (its broadcasts are not persisted) that gets a message before
    // `runtime.restored`: its queues are replaced now, counted as a restore counts them.
    dropRestoredQueues(state, next, effects, state.restarts)
  }
  switch (input.type) {
    case 'gossip.enqueue':
      enqueueBroadcast(next, input.broadcast, effects)
      break
    case 'gossip.cluster-size':
      setClusterSize(next, input.source, input.numNodes, effects)
      break
    case 'gossip.fill': {
      const { parts, usedBytes } = fillPacket(next, input.overheadBytes, input.limitBytes, input.queues ?? GOSSIP_QUEUE_NAMES, effects)
      effects.push({ type: 'reply', to: input.replyTo, msg: { type: 'gossip.filled', parts, usedBytes } })
      break
    }
    case 'gossip.stats':
      effects.push({ type: 'reply', to: input.replyTo, msg: { type: 'gossip.stats-reply', queues: statsOf(next) } })
      break
    case 'gossip.reset':
    case 'shutdown':
      resetQueues(next, effects)
      break
    case 'gossip.lease-subscribe':
      next.lease.subscriber = input.to
      leaseChanged(next, effects)
      break
    case 'gossip.sent':
      applyReport(next, input, effects)
      break
    case 'queue-check':
      checkWarnings(checkQueues(next, effects), effects)
      next.lastCheckAt = input.now
      break
    case 'restored':
      dropRestoredQueues(state, next, effects, input.restarts)
      next.restarts = input.restarts
      next.lease = { ...next.lease, epoch: input.epoch, nextEntry: 0, version: 0, appliedReport: 0 }
      leaseChanged(next, effects)
      break
  }
  return { state: next, effects }
}

/**
 * The queues a restore comes back with are the last persisted turn's, without their broadcasts
 * (soft state: their owners re-gossip). They are counted and their waiters told; the queues start
 * empty. The sizes and the subscriber stay.
 */
function dropRestoredQueues(state: GossipQueueState, next: GossipQueueState, effects: GossipEffect[], restarts: number): void {
  const lost = abandonQueues(state.queues, effects)
  if (lost !== undefined && lost > 0) effects.push({ type: 'warn', obj: { lost, restarts }, msg: 'gossip queues lost their broadcasts in a restart' })
  if (lost === undefined) effects.push({ type: 'warn', obj: { restarts }, msg: 'gossip queues restarted: the restored queues could not be read, lost broadcasts not counted' })
  next.queues = emptyQueues()
  next.lostOnRestart += lost ?? 0
  next.restartsUncounted += lost === undefined ? 1 : 0
}

function prefixUserType(serfMessage: Uint8Array): Uint8Array {
  const out = new Uint8Array(serfMessage.length + 1)
  out[0] = USER_MESSAGE_TYPE_BYTE
  out.set(serfMessage, 1)
  return out
}

/** Every queued item of a queue in queue order (for the lease and for tests). */
export const queueOrder = (state: GossipQueueState, name: GossipQueueName) => orderedItems(state.queues[name].items)

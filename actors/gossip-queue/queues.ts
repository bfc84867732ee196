/**
 * The four broadcast queues of one node (memberlist's and Serf's intent, query and event queues,
 * spec §4.9-4.10) on the core's state: enqueue, cluster sizes, the composition of one packet, Serf's
 * queue check, reset, and what a restore or a stats ask reads. Each function updates the state it is
 * given and appends its effects (waiters told, the lease marked changed); core.ts calls them per input.
 */
import type { Broadcast, GossipQueueName, QueueStats } from './protocol.ts'
import { GOSSIP_QUEUE_NAMES, USER_MESSAGE_TYPE_BYTE } from './protocol.ts'
import { queueDepthLimit } from './config.ts'
import type { ClusterSizeSource, GossipEffect, GossipQueueState } from './state.ts'
import { earlyTell, leaseChanged, limitOf, noteRoom, notifier, sourceOf } from './state.ts'
import { dropLongerThan, enqueueItem, fillQueue, finishAtLimit, orderedItems, pruneQueue } from './transmit-queue.ts'

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

/** Fills one packet from `queues` in order; returns the parts and the bytes charged. */
export function fillPacket(state: GossipQueueState, overheadBytes: number, limitBytes: number, queues: readonly GossipQueueName[], effects: GossipEffect[]): { parts: Uint8Array[]; usedBytes: number } {
  const parts: Uint8Array[] = []
  let used = 0
  noteRoom(state, queues, limitBytes - overheadBytes)
  for (const name of queues) {
    const remaining = limitBytes - used
    if (remaining - overheadBytes <= 0) break
    used += fillQueue(state.queues[name].items, limitOf(state, name), overheadBytes, remaining, parts, notifier(state, name, effects), earlyTell(state, name, effects))
  }
  if (parts.length > 0) leaseChanged(state, effects)
  return { parts, usedBytes: used }
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
export function checkWarnings(result: QueueCheckResult, effects: GossipEffect[]): void {
  for (const [queue, depth] of Object.entries(result.warnings)) effects.push({ type: 'warn', obj: { queue, depth }, msg: 'gossip queue depth warning' })
  if (Object.keys(result.pruned).length > 0) effects.push({ type: 'warn', obj: { pruned: result.pruned }, msg: 'gossip queues pruned' })
  if (Object.keys(result.unsendable).length > 0) {
    effects.push({ type: 'warn', obj: { unsendable: result.unsendable }, msg: 'gossip broadcasts dropped: no fill had room for them (maxMessageBytes above the packet budget?)' })
  }
}

function prefixUserType(serfMessage: Uint8Array): Uint8Array {
  const out = new Uint8Array(serfMessage.length + 1)
  out[0] = USER_MESSAGE_TYPE_BYTE
  out.set(serfMessage, 1)
  return out
}

/** Every queued item of a queue in queue order (for the lease and for tests). */
export const queueOrder = (state: GossipQueueState, name: GossipQueueName) => orderedItems(state.queues[name].items)

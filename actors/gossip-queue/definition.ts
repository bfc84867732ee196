/** The gossip-queue actor: one definition for both placements (worker thread or inline). */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { GOSSIP_QUEUE_NAMES } from './protocol.ts'
import type { GossipQueueName, LeaseSentMsg } from './protocol.ts'
import { createGossipQueueMachine } from './machine.ts'
import { GOSSIP_PERSIST_THROTTLE_MS, gossipUrgentKey } from './persist-policy.ts'

const isQueue = (q: unknown): q is GossipQueueName => (GOSSIP_QUEUE_NAMES as readonly unknown[]).includes(q)
const isBudget = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0

/** Most (id, times) pairs one report may carry: far above what a report ever holds (one pair per entry sent). */
export const MAX_REPORT_PAIRS = 65_536

const isCount = (n: unknown, min: number): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= min

/** A `gossip.sent` report's shape; undefined when usable. */
function checkSent(msg: LeaseSentMsg): string | undefined {
  if (!isCount(msg.epoch, 0)) return 'epoch must be an integer >= 0'
  if (!isCount(msg.report, 1)) return 'report must be an integer >= 1'
  if (!Array.isArray(msg.sent)) return 'sent must be an array of [id, times] pairs'
  if (msg.sent.length > MAX_REPORT_PAIRS) return `sent holds more than ${MAX_REPORT_PAIRS} pairs`
  for (const pair of msg.sent) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isCount(pair[0], 0) || !isCount(pair[1], 1)) return 'sent must hold [id >= 0, times >= 1] integer pairs'
  }
  if (typeof msg.room !== 'object' || msg.room === null) return 'room must be an object'
  for (const [q, room] of Object.entries(msg.room)) {
    if (!isQueue(q)) return `room names an unknown queue: ${q}`
    if (!isBudget(room)) return 'room values must be finite numbers >= 0'
  }
  return undefined
}

export const gossipQueue = defineActor({
  name: 'gossip-queue',
  machine: createGossipQueueMachine,
  worker: new URL('./worker.ts', import.meta.url),
  /**
   * Persisted snapshots, restored by the supervisor after a crash: the context keeps the last
   * cluster size per source, which swim and member-manager send only when it changes (without it a
   * restarted queue would use the floor limit until the cluster changed), and the lease subscriber.
   * The context is the core's whole state (core.ts), queues included: the queued broadcasts are
   * soft state, so a restore only counts them and tells their waiters (machine.ts). What a restart
   * needs (sizes, subscriber, queue sizes, waiters, counts of losses) persists in the turn that
   * changed it; the counters at most once per GOSSIP_PERSIST_THROTTLE_MS (persist-policy.ts). The
   * per-turn cost grows with the queued bytes and is measured in bench/gossip-queue.bench.ts
   * (actor scenarios, at an empty and a 1,000-deep queue).
   * Version 2: the whole core state; a version-1 record (sizes and counters only) is not restored.
   */
  persist: { version: 2, throttleMs: GOSSIP_PERSIST_THROTTLE_MS, urgentKey: gossipUrgentKey },
  validate: (msg) => {
    switch (msg.type) {
      case 'gossip.enqueue': {
        const b = msg.broadcast
        if (typeof b !== 'object' || b === null) return 'broadcast must be an object'
        if (!isQueue(b.queue)) return `broadcast.queue must be one of ${GOSSIP_QUEUE_NAMES.join(', ')}`
        if (!(b.message instanceof Uint8Array)) return 'broadcast.message must be a Uint8Array'
        if (b.name !== undefined && typeof b.name !== 'string') return 'broadcast.name must be a string'
        if (b.notify !== undefined && (typeof b.notify.to !== 'string' || typeof b.notify.id !== 'string')) return 'broadcast.notify needs string to and id'
        return undefined
      }
      case 'gossip.fill':
        if (!isBudget(msg.overheadBytes) || !isBudget(msg.limitBytes)) return 'overheadBytes and limitBytes must be finite numbers >= 0'
        if (msg.queues !== undefined && !msg.queues.every(isQueue)) return 'queues must name gossip queues'
        return undefined
      case 'gossip.cluster-size':
        if (msg.source !== 'memberlist' && msg.source !== 'serf') return "source must be 'memberlist' or 'serf'"
        if (!isBudget(msg.numNodes)) return 'numNodes must be a finite number >= 0'
        return undefined
      case 'gossip.lease-subscribe':
        if (typeof msg.to !== 'string' || msg.to.length === 0) return 'to must be a non-empty actor id'
        return undefined
      case 'gossip.sent':
        return checkSent(msg)
      default:
        return undefined
    }
  },
})

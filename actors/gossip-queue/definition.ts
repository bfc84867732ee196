/** The gossip-queue actor: one definition for both placements (worker thread or inline). */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { GOSSIP_QUEUE_NAMES } from './protocol.ts'
import type { GossipQueueName } from './protocol.ts'
import { createGossipQueueMachine } from './machine.ts'

const isQueue = (q: unknown): q is GossipQueueName => (GOSSIP_QUEUE_NAMES as readonly unknown[]).includes(q)
const isBudget = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0

export const gossipQueue = defineActor({
  name: 'gossip-queue',
  machine: createGossipQueueMachine,
  worker: new URL('./worker.ts', import.meta.url),
  /**
   * Persisted snapshots, restored by the supervisor after a crash: the context keeps the last
   * cluster size per source, which swim and member-manager send only when it changes (without it a
   * restarted queue would use the floor limit until the cluster changed). The queued broadcasts are
   * soft state, outside the context (see machine.ts). throttleMs 0: persisted after every turn in
   * which the actor handled messages, so a size is never restored stale; the context is a handful
   * of numbers, measured in bench/gossip-queue.bench.ts (actor scenarios).
   */
  persist: { version: 1, throttleMs: 0 },
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
      default:
        return undefined
    }
  },
})

/**
 * The gossip-queue machine: the four broadcast queues of one node behind messages. One state
 * (`running`) with Serf's periodic queue check on the actor clock. Enqueue and fill are plain
 * message handlers on the actor's single thread: neither ever waits for the other, and no lock
 * exists to be held (lesson 004). Notifications for finished broadcasts go to the actor named in
 * the broadcast's `notify`. Queue contents are soft state: after a supervised restart the queues
 * start empty (gossip is retransmitted by its owners: swim re-gossips, Serf re-broadcasts intents).
 *
 * The QueueSet lives in the factory's closure, not in the XState context: the context must stay
 * plain, structured-cloneable data because the runtime copies it across threads for snapshots and
 * inspection. The runtime calls the factory once per actor (re)start, so each actor has its own.
 */
import { assign, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import type { BroadcastFinishedMsg, GossipQueueInbound } from './protocol.ts'
import type { GossipQueueConfig, GossipQueueInit } from './config.ts'
import { createGossipQueueConfig } from './config.ts'
import { QueueSet } from './queue-set.ts'

export interface GossipQueueInput {
  config?: GossipQueueInit
}

export interface GossipQueueContext {
  config: GossipQueueConfig
  /** Notifications that could not be delivered (unknown or stopped receiver): counted, not retried. */
  undeliveredNotifications: number
  /** Clock time of the last queue check. */
  lastCheckAt: number
}

export function createGossipQueueMachine(env: ActorEnv) {
  let queueSet: QueueSet | undefined
  const queues = (): QueueSet => {
    if (queueSet === undefined) throw new Error('gossip-queue: queues used before the context was created')
    return queueSet
  }
  const flush = (context: GossipQueueContext): void => {
    for (const n of queues().drainNotifications()) {
      const status = env.send(actorAddress<BroadcastFinishedMsg>(n.to), n.msg)
      if (status === 'unknown' || status === 'stopped' || status === 'rejected') context.undeliveredNotifications++
    }
  }

  return setup({
    types: {} as { context: GossipQueueContext; events: GossipQueueInbound | RuntimeEvent; input: GossipQueueInput | undefined },
    delays: {
      queueCheck: ({ context }) => context.config.queueCheckIntervalMs,
    },
  }).createMachine({
    id: 'gossip-queue',
    context: ({ input }) => {
      const config = createGossipQueueConfig(input?.config ?? {})
      queueSet = new QueueSet(config)
      return { config, undeliveredNotifications: 0, lastCheckAt: env.clock.now() }
    },
    initial: 'running',
    states: {
      running: {
        on: {
          'gossip.enqueue': {
            actions: ({ context, event }) => {
              queues().enqueue(event.broadcast)
              flush(context)
            },
          },
          'gossip.cluster-size': {
            actions: ({ event }) => queues().setClusterSize(event.source, event.numNodes),
          },
          'gossip.fill': {
            actions: ({ context, event }) => {
              const { parts, usedBytes } = queues().fill(event.overheadBytes, event.limitBytes, event.queues)
              env.reply(event.replyTo, { type: 'gossip.filled', parts, usedBytes })
              flush(context)
            },
          },
          'gossip.stats': {
            actions: ({ event }) => env.reply(event.replyTo, { type: 'gossip.stats-reply', queues: queues().stats() }),
          },
          'gossip.reset': {
            actions: ({ context }) => {
              queues().reset()
              flush(context)
            },
          },
          // XState does not re-arm `after` on restore: re-enter to start the check timer again.
          'runtime.restored': { target: 'running', reenter: true },
          'runtime.shutdown': { target: 'stopped' },
        },
        after: {
          queueCheck: {
            target: 'running',
            reenter: true,
            actions: [
              ({ context }) => {
                const result = queues().check()
                for (const [queue, depth] of Object.entries(result.warnings)) env.log.warn({ queue, depth }, 'gossip queue depth warning')
                if (Object.keys(result.pruned).length > 0) env.log.warn({ pruned: result.pruned }, 'gossip queues pruned')
                flush(context)
              },
              assign({ lastCheckAt: () => env.clock.now() }),
            ],
          },
        },
      },
      stopped: {
        type: 'final',
        entry: ({ context }) => {
          queues().reset()
          flush(context)
        },
      },
    },
  })
}

export type GossipQueueMachine = ReturnType<typeof createGossipQueueMachine>

/**
 * The gossip-queue machine: the four broadcast queues of one node behind messages. One state
 * (`running`) with Serf's periodic queue check on the actor clock. Enqueue and fill are plain
 * message handlers on the actor's single thread: neither ever waits for the other, and no lock
 * exists to be held (lesson 004). Notifications for finished broadcasts go to the actor named in
 * the broadcast's `notify`.
 *
 * What survives a supervised restart (the definition opts in to persisted snapshots):
 * - the context: config, the last cluster size per source, counters. The sizes matter most: swim
 *   and member-manager send `gossip.cluster-size` only when the size changes, so a restart that
 *   forgot them would use the wrong retransmit limit until the cluster happened to change.
 * - NOT the queued broadcasts: they are soft state (gossip is retransmitted by its owners: swim
 *   re-gossips on its next change or push/pull, Serf re-broadcasts intents). On `runtime.restored`
 *   the queues start empty. When the old queues are still reachable (a crash restarted in the same
 *   thread) their broadcasts are counted in `lostOnRestart` and every waiter gets a 'pruned'
 *   notification; when the thread died with them, the restart is counted in `restartsUncounted`
 *   (the runtime does not tell what was queued) and waiters rely on their own timeouts.
 *
 * The QueueSet lives in the factory's closure, not in the XState context: the context must stay
 * plain, structured-cloneable data because the runtime copies it across threads for snapshots and
 * inspection. The runtime builds the machine once per host and restarts it in place, so a fresh
 * QueueSet is made explicitly at each (re)start: in the context factory (a fresh start) and on
 * `runtime.restored` (a restore, where XState does not run the context factory).
 */
import { assign, enqueueActions, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import type { BroadcastFinishedMsg, GossipQueueInbound } from './protocol.ts'
import type { GossipQueueConfig, GossipQueueInit } from './config.ts'
import { createGossipQueueConfig } from './config.ts'
import { QueueSet } from './queue-set.ts'
import type { ClusterSizeSource } from './queue-set.ts'

export interface GossipQueueInput {
  config?: GossipQueueInit
}

/** Last size told per source; null = not told yet (the queues then count the cluster as 1 node). */
export type ClusterSizes = Record<ClusterSizeSource, number | null>

export interface GossipQueueContext {
  config: GossipQueueConfig
  /** Persisted: the owners of the tables send a size only when it changes. */
  clusterSizes: ClusterSizes
  /** Notifications that could not be delivered (unknown or stopped receiver): counted, not retried. */
  undeliveredNotifications: number
  /** Clock time of the last queue check. */
  lastCheckAt: number
  /** Supervised restarts, as the runtime counts them (from `runtime.restored`). */
  restarts: number
  /** Broadcasts that were queued when the actor was restarted, and were dropped with the old queues. */
  lostOnRestart: number
  /** Restarts whose losses could not be counted (the thread died with the queues). */
  restartsUncounted: number
}

const SOURCES: readonly ClusterSizeSource[] = ['memberlist', 'serf']

export function createGossipQueueMachine(env: ActorEnv) {
  let queueSet: QueueSet | undefined
  /** Notifications that found no receiver since the last `countUndelivered`. */
  let undelivered = 0

  const build = (config: GossipQueueConfig, sizes: ClusterSizes): QueueSet => {
    const set = new QueueSet(config)
    for (const source of SOURCES) {
      const n = sizes[source]
      if (n !== null) set.setClusterSize(source, n)
    }
    return set
  }
  /** The current QueueSet (built from the context if an event ever came before the restore). */
  const queues = (context: GossipQueueContext): QueueSet => (queueSet ??= build(context.config, context.clusterSizes))
  const flush = (set: QueueSet | undefined): void => {
    if (set === undefined) return
    for (const n of set.drainNotifications()) {
      const status = env.send(actorAddress<BroadcastFinishedMsg>(n.to), n.msg)
      if (status === 'unknown' || status === 'stopped' || status === 'rejected') undelivered++
    }
  }
  /**
   * Replaces the QueueSet at a (re)start. Returns how many broadcasts the old one held, or
   * undefined if there was none to look at. Their waiters are told 'pruned'.
   */
  const replace = (next: QueueSet): number | undefined => {
    const old = queueSet
    queueSet = next
    if (old === undefined) return undefined
    let lost = 0
    try {
      lost = old.abandon().total
    } catch {
      // The old set broke in the crash: what it still held cannot be read. Count what was read.
    }
    try {
      flush(old)
    } catch {
      // A receiver that cannot be told is not a reason to fail the restart.
    }
    return lost
  }

  return setup({
    types: {} as { context: GossipQueueContext; events: GossipQueueInbound | RuntimeEvent; input: GossipQueueInput | undefined },
    delays: {
      queueCheck: ({ context }) => context.config.queueCheckIntervalMs,
    },
    actions: {
      /** Folds the undelivered notifications into the context; no new context when there are none. */
      countUndelivered: enqueueActions(({ context, enqueue }) => {
        if (undelivered === 0) return
        const n = undelivered
        undelivered = 0
        enqueue.assign({ undeliveredNotifications: context.undeliveredNotifications + n })
      }),
    },
  }).createMachine({
    id: 'gossip-queue',
    context: ({ input }) => {
      const config = createGossipQueueConfig(input?.config ?? {})
      const clusterSizes: ClusterSizes = { memberlist: null, serf: null }
      // A fresh start replaces the queues of a previous start of this host, if any (a crash before
      // the first persisted snapshot): counted like a restore's.
      const lost = replace(build(config, clusterSizes)) ?? 0
      return { config, clusterSizes, undeliveredNotifications: 0, lastCheckAt: env.clock.now(), restarts: 0, lostOnRestart: lost, restartsUncounted: 0 }
    },
    initial: 'running',
    states: {
      running: {
        on: {
          'gossip.enqueue': {
            actions: [
              ({ context, event }) => {
                const set = queues(context)
                set.enqueue(event.broadcast)
                flush(set)
              },
              'countUndelivered',
            ],
          },
          'gossip.cluster-size': {
            actions: enqueueActions(({ context, event, enqueue }) => {
              const n = queues(context).setClusterSize(event.source, event.numNodes)
              if (n !== undefined && context.clusterSizes[event.source] !== n) {
                enqueue.assign({ clusterSizes: { ...context.clusterSizes, [event.source]: n } })
              }
            }),
          },
          'gossip.fill': {
            actions: [
              ({ context, event }) => {
                const set = queues(context)
                const { parts, usedBytes } = set.fill(event.overheadBytes, event.limitBytes, event.queues)
                env.reply(event.replyTo, { type: 'gossip.filled', parts, usedBytes })
                flush(set)
              },
              'countUndelivered',
            ],
          },
          'gossip.stats': {
            actions: ({ context, event }) => env.reply(event.replyTo, { type: 'gossip.stats-reply', queues: queues(context).stats() }),
          },
          'gossip.reset': {
            actions: [
              ({ context }) => {
                const set = queues(context)
                set.reset()
                flush(set)
              },
              'countUndelivered',
            ],
          },
          // A restore from the persisted snapshot: fresh (empty) queues with the persisted sizes, and
          // XState does not re-arm `after` on restore: re-enter to start the check timer again.
          'runtime.restored': {
            target: 'running',
            reenter: true,
            actions: [
              enqueueActions(({ context, event, enqueue }) => {
                const lost = replace(build(context.config, context.clusterSizes))
                if (lost !== undefined && lost > 0) env.log.warn({ lost, restarts: event.restarts }, 'gossip queues lost their broadcasts in a restart')
                if (lost === undefined) env.log.warn({ restarts: event.restarts }, 'gossip queues restarted in a new thread: lost broadcasts not counted')
                enqueue.assign({
                  restarts: event.restarts,
                  lostOnRestart: context.lostOnRestart + (lost ?? 0),
                  restartsUncounted: context.restartsUncounted + (lost === undefined ? 1 : 0),
                })
              }),
              'countUndelivered',
            ],
          },
          'runtime.shutdown': { target: 'stopped' },
        },
        after: {
          queueCheck: {
            target: 'running',
            reenter: true,
            actions: [
              ({ context }) => {
                const set = queues(context)
                const result = set.check()
                for (const [queue, depth] of Object.entries(result.warnings)) env.log.warn({ queue, depth }, 'gossip queue depth warning')
                if (Object.keys(result.pruned).length > 0) env.log.warn({ pruned: result.pruned }, 'gossip queues pruned')
                if (Object.keys(result.unsendable).length > 0) {
                  env.log.warn({ unsendable: result.unsendable }, 'gossip broadcasts dropped: no fill had room for them (maxMessageBytes above the packet budget?)')
                }
                flush(set)
              },
              assign({ lastCheckAt: () => env.clock.now() }),
              'countUndelivered',
            ],
          },
        },
      },
      stopped: {
        type: 'final',
        entry: [
          ({ context }) => {
            const set = queues(context)
            set.reset()
            flush(set)
          },
          'countUndelivered',
        ],
      },
    },
  })
}

export type GossipQueueMachine = ReturnType<typeof createGossipQueueMachine>

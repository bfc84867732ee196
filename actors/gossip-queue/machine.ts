/**
 * The gossip-queue machine: the core (core.ts) behind messages. Its context IS the core's state;
 * every event becomes one `step(context, input)`, whose state is assigned and whose effects the
 * `runEffects` action runs: tell a waiter `gossip.broadcast-finished`, reply to an ask, push the
 * piggyback lease, log a warning. One state (`running`) with Serf's periodic queue check on the
 * actor clock. Enqueue, fill and lease reports are plain message handlers on the actor's single
 * thread: none waits for another, and no lock exists to be held (lesson 004).
 *
 * The lease goes to the subscriber at most once per turn: the effect only says a lease is due; the
 * lease is built from the context as it stands when the turn's messages are done (a microtask) and
 * sent through a LatestTell (src/types/latest-tell.ts), which waits for room in a full mailbox and
 * lets a newer lease replace one that waits.
 *
 * What survives a supervised restart (the definition opts in to persisted snapshots): the context,
 * i.e. config, the last cluster size per source, the lease subscriber, counters. The sizes matter
 * most: swim and member-manager send `gossip.cluster-size` only when the size changes. The queued
 * broadcasts are soft state (gossip is retransmitted by its owners): on `runtime.restored` the
 * restored queues are counted in `lostOnRestart`, their waiters are told 'pruned', and the queues
 * start empty in a new lease epoch.
 */
import { enqueueActions, setup, type AnyActorRef } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { createLatestTell } from '../../src/types/latest-tell.ts'
import type { BroadcastFinishedMsg, GossipQueueInbound, LeaseMsg } from './protocol.ts'
import type { GossipQueueInit } from './config.ts'
import { createGossipQueueConfig } from './config.ts'
import type { GossipCoreInput, GossipEffect, GossipQueueState } from './state.ts'
import { initialState } from './state.ts'
import { step } from './core.ts'
import { buildLease } from './lease.ts'

export type { ClusterSizes } from './state.ts'

export interface GossipQueueInput {
  config?: GossipQueueInit
}

/** The machine's context: the core's state. */
export type GossipQueueContext = GossipQueueState

type GossipQueueEvent = GossipQueueInbound | RuntimeEvent

export function createGossipQueueMachine(env: ActorEnv) {
  // The runner's own I/O bookkeeping (no protocol state): deliveries that failed since the last
  // `countUndelivered`, and the per-turn lease push.
  let undelivered = 0
  let leaseTo = ''
  let leaseDue = false
  const leaseTell = createLatestTell<LeaseMsg>(env, () => leaseTo, () => void undelivered++)

  /** A lease epoch for a new start: a positive 31-bit number from the runtime's random source, never the previous one. */
  const newEpoch = (previous: number): number => {
    for (;;) {
      const epoch = env.random.int(0x7fff_ffff) + 1
      if (epoch !== previous) return epoch
    }
  }

  const pushLease = (to: string, self: AnyActorRef): void => {
    leaseTo = to
    if (leaseDue) return
    leaseDue = true
    queueMicrotask(() => {
      leaseDue = false
      const snap = self.getSnapshot() as { status: string; context: GossipQueueState }
      if (snap.status !== 'active' || snap.context.lease.subscriber === null) return
      leaseTo = snap.context.lease.subscriber
      leaseTell.set(buildLease(snap.context))
    })
  }

  const runEffects = (effects: readonly GossipEffect[], self: AnyActorRef): void => {
    for (const e of effects) {
      switch (e.type) {
        case 'tell': {
          const status = env.send(actorAddress<BroadcastFinishedMsg>(e.to), e.msg)
          if (status === 'unknown' || status === 'stopped' || status === 'rejected') undelivered++
          break
        }
        case 'reply':
          env.reply(e.to as never, e.msg)
          break
        case 'push-lease':
          pushLease(e.to, self)
          break
        case 'warn':
          env.log.warn(e.obj, e.msg)
          break
      }
    }
  }

  /** The core's input for an event of the machine. */
  const inputOf = (event: GossipQueueEvent, context: GossipQueueState): GossipCoreInput => {
    if (event.type === 'runtime.restored') return { type: 'restored', restarts: event.restarts, epoch: newEpoch(context.lease.epoch) }
    if (event.type === 'runtime.shutdown') return { type: 'shutdown' }
    return event
  }

  return setup({
    types: {} as { context: GossipQueueContext; events: GossipQueueEvent; input: GossipQueueInput | undefined },
    delays: {
      queueCheck: ({ context }) => context.config.queueCheckIntervalMs,
    },
    actions: {
      /** One step of the core for this event; its effects run right after the new context is assigned. */
      step: enqueueActions(({ context, event, enqueue }) => {
        const { state, effects } = step(context, inputOf(event, context))
        if (state !== context) enqueue.assign(state)
        if (effects.length > 0) enqueue(({ self }) => runEffects(effects, self))
      }),
      /** Serf's queue check, on the actor clock. */
      check: enqueueActions(({ context, enqueue }) => {
        const { state, effects } = step(context, { type: 'queue-check', now: env.clock.now() })
        if (state !== context) enqueue.assign(state)
        if (effects.length > 0) enqueue(({ self }) => runEffects(effects, self))
      }),
      /** Folds the failed deliveries into the context; no new context when there are none. */
      countUndelivered: enqueueActions(({ context, enqueue }) => {
        if (undelivered === 0) return
        const n = undelivered
        undelivered = 0
        enqueue.assign({ undeliveredNotifications: context.undeliveredNotifications + n })
      }),
    },
  }).createMachine({
    id: 'gossip-queue',
    context: ({ input }) => initialState(createGossipQueueConfig(input?.config ?? {}), newEpoch(0), env.clock.now()),
    initial: 'running',
    states: {
      running: {
        on: {
          'gossip.enqueue': { actions: ['step', 'countUndelivered'] },
          'gossip.cluster-size': { actions: ['step', 'countUndelivered'] },
          'gossip.fill': { actions: ['step', 'countUndelivered'] },
          'gossip.stats': { actions: 'step' },
          'gossip.reset': { actions: ['step', 'countUndelivered'] },
          'gossip.lease-subscribe': { actions: ['step', 'countUndelivered'] },
          'gossip.sent': { actions: ['step', 'countUndelivered'] },
          // A restore from the persisted snapshot: the restored queues are dropped (counted), a new
          // lease epoch begins, and XState does not re-arm `after` on restore: re-enter to start the
          // check timer again.
          'runtime.restored': {
            target: 'running',
            reenter: true,
            actions: ['step', 'countUndelivered'],
          },
          'runtime.shutdown': { target: 'stopped' },
        },
        after: {
          queueCheck: {
            target: 'running',
            reenter: true,
            actions: ['check', 'countUndelivered'],
          },
        },
      },
      stopped: {
        type: 'final',
        entry: ['step', 'countUndelivered'],
      },
    },
  })
}

export type GossipQueueMachine = ReturnType<typeof createGossipQueueMachine>

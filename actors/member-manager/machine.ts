/**
 * The member-manager machine: Serf's member layer (MemberLayer) behind messages, with the node's
 * lifecycle as states and Serf's timers on the actor clock.
 *
 * running (parallel)
 * - lifecycle: alive → leaving.{broadcasting → memberlist → propagating} → left (Serf.Leave, spec §5.4)
 * - reaper: every ReapInterval, erase failed/left members past their timeouts (spec §5.6)
 * - reconnector: every ReconnectInterval, maybe ask swim to rejoin a failed member; paused once
 *   the lifecycle leaves `alive` (a leaving node does not rejoin anyone)
 * stopped (final, on runtime.shutdown)
 *
 * Timers and a restore: XState does not restart `after` timers or delayed events when an actor is
 * restored from a persisted snapshot, so every one is re-armed on `runtime.restored`: the reaper and
 * the reconnector tick (a full interval from the restore), the leave step in progress (re-entered:
 * its timeout starts again, the memberlist step asks swim again), and each scheduled prune (kept in
 * the context with its due time, raised again for the time left).
 *
 * All membership writes go through MemberLayer's one table; this file only routes messages and runs
 * timers. Outbound traffic goes by id to the peers named in the input.
 *
 * swim's node changes come numbered (NodesChangedMsg `seq`); the context follows the numbering
 * (node-feed.ts, persisted with the table), and a gap, or a restore from a snapshot that may be a
 * second old, asks swim for its whole table (`member.nodes-resync`), which brings the table back in
 * line instead of leaving it short for good (issue 10).
 *
 * The MemberLayer lives in the factory's closure, not in the XState context: the context stays plain,
 * structured-cloneable data (the runtime copies it across threads for snapshots and inspection).
 * The runtime calls the factory once per actor (re)start, so each actor has its own layer.
 */
import { assertEvent, assign, enqueueActions, not, setup, stateIn } from 'xstate'
import type { ActorEnv, Message, ReplyTo, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { toWireError } from '../../src/errors/index.ts'
import type { GossipQueueInbound } from '../gossip-queue/protocol.ts'
import type { SnapshotterIn } from '../snapshotter/protocol.ts'
import type { AckReply, LamportTime, MemberManagerInbound, MemberManagerOutbound, NodeFeedStats, NodesResyncMsg } from './protocol.ts'
import type { SerfConfig, SerfInit } from './config.ts'
import { createSerfConfig } from './config.ts'
import { MemberLayer } from './member-layer.ts'
import type { MemberLayerData, MemberLayerPorts } from './member-layer.ts'
import { freshNodeFeed, receiveFeed, resyncAsked } from './node-feed.ts'
import { createLatestTell } from '../../src/types/latest-tell.ts'

/** Actor ids of the peers; swim and gossip-queue default to their kind names. */
export interface MemberManagerPeers {
  swim: string
  gossipQueue: string
  /** Receives snapshot.* records; none → no snapshot. */
  snapshotter?: string
  /** Receives `member.event` and `member.conflict` (the public event stream); none → only counted. */
  events?: string
  /** Receives `member.serf-message` pass-through (user events, queries: a later issue). */
  serfMessages?: string
}

export interface MemberManagerInput {
  config: SerfInit
  peers?: Partial<MemberManagerPeers>
  /** Clocks replayed from the snapshot; witnessed at start (spec §5.3). */
  restored?: { clock?: LamportTime; eventClock?: LamportTime; queryClock?: LamportTime }
}

/** Internal: a scheduled prune (leave with Prune for a leaving member) came due. */
type PruneDue = { type: 'member.prune-due'; name: string }

/** A prune waiting for its delayed `member.prune-due`, kept so a restore can raise it again. */
export interface PendingPrune {
  name: string
  /** Actor-clock time (ms) at which it is due. */
  dueAt: number
}

export interface MemberManagerContext {
  config: SerfConfig
  /**
   * The member layer's data (member table, clocks, intents, tags): plain data updated in place, so a
   * persisted snapshot carries it across a supervised restart.
   */
  data: MemberLayerData
  peers: MemberManagerPeers
  restored: NonNullable<MemberManagerInput['restored']>
  /** Who asked `member.leave` and waits for `left`. */
  leaveAskers: Array<ReplyTo<AckReply>>
  leaveNotifyId: string | undefined
  leaveWaitsForBroadcast: boolean
  /** Leaves that went on without the intent confirmed spread within BroadcastTimeout. */
  leaveBroadcastTimeouts: number
  /** swim did not confirm its memberlist leave in time; we went on. */
  swimLeaveTimeouts: number
  /** Prunes scheduled and not yet due, oldest first (re-armed on `runtime.restored`). */
  prunes: PendingPrune[]
  /** swim's node-change feed as followed so far (node-feed.ts); persisted, so a restore knows its place. */
  feed: NodeFeedStats
}

export function createMemberManagerMachine(env: ActorEnv) {
  let memberLayer: MemberLayer | undefined
  /** Rebuilds the layer from the context's data (a restored snapshot), dropping any older instance. */
  const revive = (context: MemberManagerContext): MemberLayer => {
    io.peers = context.peers
    // Prunes a crashed instance asked for but never scheduled belong to a state that was not kept.
    io.pendingPrunes.length = 0
    memberLayer = MemberLayer.revive(context.config, ports, context.data)
    return memberLayer
  }
  /**
   * The layer. The runtime builds the machine once per actor and restarts it in place, so after a
   * restore `runtime.restored` revives the layer from the restored context; a fresh thread has no
   * layer at all yet and revives it on first use.
   */
  const layer = (context: MemberManagerContext): MemberLayer => memberLayer ?? revive(context)
  // Mutable I/O bookkeeping shared with the layer's ports. It lives here, not in the context:
  // the ports are created once, while XState replaces the context object on every assign.
  const io = {
    peers: { swim: 'swim', gossipQueue: 'gossip-queue' } as MemberManagerPeers,
    /** Sends that found no receiver (unknown/stopped/rejected); counted, never retried. */
    undelivered: 0,
    /** Prunes requested by the layer, turned into delayed events by `flushPrunes`. */
    pendingPrunes: [] as Array<{ name: string; delayMs: number }>,
  }
  /** Tells `to`; false (and counted) when nobody took the message. */
  const deliver = (to: string | undefined, msg: Message): boolean => {
    if (to === undefined) return false
    const status = env.send(actorAddress<Message>(to), msg)
    if (status === 'unknown' || status === 'stopped' || status === 'rejected') {
      io.undelivered++
      return false
    }
    return true
  }
  /** Asks swim for its whole node table (member.nodes-resync); true when swim's mailbox took it. */
  const askResync = (reason: NodesResyncMsg['reason']): boolean => {
    const msg: NodesResyncMsg = { type: 'member.nodes-resync', reason }
    return deliver(io.peers.swim, msg)
  }
  // Serf's member count goes to gossip-queue once per turn, the latest, sent again if refused.
  const clusterSize = createLatestTell<GossipQueueInbound>(env, () => io.peers.gossipQueue, () => void io.undelivered++)

  const route = (msg: MemberManagerOutbound): void => {
    switch (msg.type) {
      case 'member.event':
        return void deliver(io.peers.events, msg)
      case 'member.serf-message':
        return void deliver(io.peers.serfMessages, msg)
      case 'member.conflict': {
        // Serf logs a conflict about another node as a warning and one about us as an error.
        const fields = { code: msg.warning.code, node: msg.name, local: msg.local }
        if (msg.local) env.log.error(fields, msg.warning.message)
        else env.log.warn(fields, msg.warning.message)
        return void deliver(io.peers.events, msg)
      }
      case 'member.local-meta-changed':
      case 'member.reconnect':
      case 'member.swim-leave':
      case 'member.nodes-resync':
        return void deliver(io.peers.swim, msg)
      default: {
        // Exhaustive: a new outbound type must be routed here, not fall to some peer by accident.
        const unrouted: never = msg
        io.undelivered++
        return unrouted
      }
    }
  }

  const ports: MemberLayerPorts = {
    now: () => env.clock.now(),
    random: env.random,
    emit: route,
    enqueue: (broadcast) => {
      const msg: GossipQueueInbound = { type: 'gossip.enqueue', broadcast }
      deliver(io.peers.gossipQueue, msg)
    },
    clusterSize: (numNodes) => clusterSize.set({ type: 'gossip.cluster-size', source: 'serf', numNodes }),
    snapshot: (msg: SnapshotterIn) => void deliver(io.peers.snapshotter, msg),
    schedulePrune: (name, delayMs) => void io.pendingPrunes.push({ name, delayMs }),
  }

  const machine = setup({
    types: {} as {
      context: MemberManagerContext
      events: MemberManagerInbound | PruneDue | RuntimeEvent
      input: MemberManagerInput
    },
    actions: {
      /**
       * Turns prunes the layer asked for into delayed events on the actor clock, and notes them (with
       * their due time) in the context, so a restore can raise them again.
       */
      flushPrunes: enqueueActions(({ context, enqueue }) => {
        if (io.pendingPrunes.length === 0) return
        const now = env.clock.now()
        const added: PendingPrune[] = []
        for (const p of io.pendingPrunes) {
          enqueue.raise({ type: 'member.prune-due', name: p.name }, { delay: p.delayMs })
          added.push({ name: p.name, dueAt: now + p.delayMs })
        }
        io.pendingPrunes.length = 0
        enqueue.assign({ prunes: [...context.prunes, ...added] })
      }),
      /** After a restore: the delayed prune events died with the crashed instance; raise them again. */
      rearmPrunes: enqueueActions(({ context, enqueue }) => {
        const now = env.clock.now()
        for (const p of context.prunes) enqueue.raise({ type: 'member.prune-due', name: p.name }, { delay: Math.max(0, p.dueAt - now) })
      }),
      /**
       * After a message of swim's feed (numbered: a batch, or a single change with `seq`): follow the
       * numbering, and ask swim for a resync at a gap (node-feed.ts).
       */
      followFeed: enqueueActions(({ context, event, enqueue }) => {
        const e = event as { seq?: number; resync?: boolean; changes?: readonly unknown[] }
        if (e.seq === undefined) return
        const { next, askResync: gap } = receiveFeed(context.feed ?? freshNodeFeed(), e.seq, e.changes?.length ?? 1, e.resync === true)
        enqueue.assign({ feed: gap ? resyncAsked(next, askResync('gap')) : next })
      }),
      /** Restored from a snapshot up to a second old: what swim told since may be lost; ask for its table. */
      resyncAfterRestore: assign({ feed: ({ context }) => resyncAsked(context.feed ?? freshNodeFeed(), askResync('restored')) }),
      /** A prune came due: forget its note (the oldest for that name), then erase the member. */
      pruneDue: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'member.prune-due')
        const i = context.prunes.findIndex((p) => p.name === event.name)
        if (i >= 0) enqueue.assign({ prunes: context.prunes.filter((_, j) => j !== i) })
        layer(context).pruneDue(event.name)
      }),
    },
    guards: {
      waitsForBroadcast: ({ context }) => context.leaveWaitsForBroadcast,
      /** The reconnector runs only while the node is alive (not leaving, left). */
      notAlive: not(stateIn('#member-manager.running.lifecycle.alive')),
      isOurLeaveBroadcast: ({ context, event }) => event.type === 'gossip.broadcast-finished' && event.id === context.leaveNotifyId,
    },
    delays: {
      reapInterval: ({ context }) => context.config.reapIntervalMs,
      reconnectInterval: ({ context }) => context.config.reconnectIntervalMs,
      broadcastTimeout: ({ context }) => context.config.broadcastTimeoutMs,
      // swim waits up to BroadcastTimeout for its own dead broadcast; allow it that plus as much again.
      swimLeaveTimeout: ({ context }) => 2 * context.config.broadcastTimeoutMs,
      leavePropagateDelay: ({ context }) => context.config.leavePropagateDelayMs,
    },
  }).createMachine({
    id: 'member-manager',
    context: ({ input }) => {
      const config = createSerfConfig(input.config)
      const peers: MemberManagerPeers = { swim: 'swim', gossipQueue: 'gossip-queue', ...input.peers }
      io.peers = peers
      io.pendingPrunes.length = 0
      memberLayer = new MemberLayer(config, ports)
      const ctx: MemberManagerContext = {
        config,
        data: memberLayer.data,
        peers,
        restored: input.restored ?? {},
        leaveAskers: [],
        leaveNotifyId: undefined,
        leaveWaitsForBroadcast: false,
        leaveBroadcastTimeouts: 0,
        swimLeaveTimeouts: 0,
        prunes: [],
        feed: freshNodeFeed(),
      }
      return ctx
    },
    initial: 'running',
    states: {
      running: {
        type: 'parallel',
        entry: ({ context }) => layer(context).start(context.restored),
        on: {
          'member.node-joined': { actions: [({ context, event }) => layer(context).nodeJoined(event.node), 'followFeed'] },
          'member.node-updated': { actions: [({ context, event }) => layer(context).nodeUpdated(event.node), 'followFeed'] },
          'member.node-left': { actions: [({ context, event }) => layer(context).nodeLeft(event.node), 'followFeed'] },
          'member.nodes-changed': { actions: [({ context, event }) => layer(context).nodeChanges(event.changes), 'followFeed'] },
          'member.name-conflict': { actions: ({ context, event }) => layer(context).nameConflict(event.existing, event.other) },
          'member.user-message': { actions: [({ context, event }) => layer(context).userMessage(event.bytes), 'flushPrunes'] },
          'member.merge-remote-state': { actions: [({ context, event }) => layer(context).mergeRemoteState(event.bytes, event.join), 'flushPrunes'] },
          'member.local-state': {
            actions: ({ context, event }) => env.reply(event.replyTo, { type: 'member.local-state-reply', bytes: layer(context).localUserState(event.join) }),
          },
          'member.local-meta': { actions: ({ context, event }) => env.reply(event.replyTo, { type: 'member.local-meta-reply', meta: layer(context).localMeta() }) },
          'member.members': {
            actions: ({ context, event }) => env.reply(event.replyTo, { type: 'member.members-reply', ...layer(context).members(event.statuses) }),
          },
          'member.set-tags': {
            actions: ({ context, event }) => {
              try {
                layer(context).setTags(event.tags)
                env.reply(event.replyTo, { type: 'member.ack' })
              } catch (err) {
                env.fail(event.replyTo, toWireError(err))
              }
            },
          },
          'member.join-completed': { actions: ({ context, event }) => layer(context).joinCompleted(event.numJoined, event.reconnect === true) },
          'member.stats': {
            actions: ({ context, event }) =>
              env.reply(event.replyTo, {
                type: 'member.stats-reply',
                ...layer(context).stats(),
                undelivered: io.undelivered,
                leaveTimeouts: { broadcast: context.leaveBroadcastTimeouts, swim: context.swimLeaveTimeouts },
                feed: { ...(context.feed ?? freshNodeFeed()) },
              }),
          },
          'member.prune-due': { actions: 'pruneDue' },
          'runtime.shutdown': { target: 'stopped' },
        },
        states: {
          lifecycle: {
            initial: 'alive',
            states: {
              alive: {
                on: {
                  'member.leave': {
                    target: 'leaving',
                    actions: assign(({ context, event }) => {
                      const { waitForBroadcast, notifyId } = layer(context).beginLeave(env.id)
                      return {
                        leaveAskers: event.replyTo === undefined ? [] : [event.replyTo],
                        leaveNotifyId: notifyId,
                        leaveWaitsForBroadcast: waitForBroadcast,
                      }
                    }),
                  },
                },
              },
              leaving: {
                initial: 'broadcasting',
                on: {
                  'member.leave': {
                    actions: ({ event }) => env.fail(event.replyTo, { code: 'ERR_MEMBER_LEAVE_IN_PROGRESS', message: 'leave already in progress' }),
                  },
                },
                states: {
                  /** Wait for our leave intent to be fully transmitted (only if anyone else is alive). */
                  broadcasting: {
                    always: { guard: ({ context }) => !context.leaveWaitsForBroadcast, target: 'memberlist' },
                    on: {
                      'gossip.broadcast-finished': { guard: 'isOurLeaveBroadcast', target: 'memberlist' },
                      'runtime.restored': { target: 'broadcasting', reenter: true },
                    },
                    after: {
                      // Serf's Leave returns an error here and stops; we go on (why: LeaveMsg in protocol.ts).
                      broadcastTimeout: {
                        target: 'memberlist',
                        actions: [
                          assign({ leaveBroadcastTimeouts: ({ context }) => context.leaveBroadcastTimeouts + 1 }),
                          ({ context }) =>
                            env.log.warn(
                              { code: 'ERR_MEMBER_LEAVE_BROADCAST_TIMEOUT', timeoutMs: context.config.broadcastTimeoutMs },
                              'leave intent not confirmed spread within BroadcastTimeout; going on with the memberlist leave',
                            ),
                        ],
                      },
                    },
                  },
                  /** memberlist Leave (dead with From = self), run by swim; it waits up to BroadcastTimeout, as in Serf. */
                  memberlist: {
                    entry: ({ context }) => {
                      layer(context) // after a restore, rebuilds the layer (and the peer ids) first
                      route({ type: 'member.swim-leave', timeoutMs: context.config.broadcastTimeoutMs })
                    },
                    on: { 'member.swim-left': { target: 'propagating' }, 'runtime.restored': { target: 'memberlist', reenter: true } },
                    after: {
                      swimLeaveTimeout: {
                        target: 'propagating',
                        actions: [
                          assign({ swimLeaveTimeouts: ({ context }) => context.swimLeaveTimeouts + 1 }),
                          () => env.log.warn({ code: 'ERR_MEMBER_SWIM_LEAVE_TIMEOUT' }, 'swim did not confirm the memberlist leave in time; going on'),
                        ],
                      },
                    },
                  },
                  /** Stay up LeavePropagateDelay so peers' probes are answered while the news spreads. */
                  propagating: {
                    after: { leavePropagateDelay: { target: '#member-manager.running.lifecycle.left' } },
                    on: { 'runtime.restored': { target: 'propagating', reenter: true } },
                  },
                },
              },
              left: {
                entry: [
                  ({ context }) => {
                    layer(context).finishLeave()
                    for (const asker of context.leaveAskers) env.reply(asker, { type: 'member.ack' })
                  },
                  assign({ leaveAskers: [] }),
                ],
                on: { 'member.leave': { actions: ({ event }) => env.reply(event.replyTo, { type: 'member.ack' }) } },
              },
            },
          },
          reaper: {
            initial: 'waiting',
            states: {
              waiting: {
                after: { reapInterval: { target: 'waiting', reenter: true, actions: ({ context }) => layer(context).reapTick() } },
                on: {
                  // After a restore from a persisted snapshot: the layer is rebuilt from the context's
                  // data (a fresh object), which the context must point at from now on; timers re-armed
                  // (this region's tick by the re-entry, the scheduled prunes by raising them again).
                  'runtime.restored': {
                    target: 'waiting',
                    reenter: true,
                    actions: [
                      // (A snapshot persisted before `prunes` existed has none pending.)
                      assign({ data: ({ context }) => revive(context).data, prunes: ({ context }) => context.prunes ?? [] }),
                      'rearmPrunes',
                      'resyncAfterRestore',
                    ],
                  },
                },
              },
            },
          },
          reconnector: {
            initial: 'waiting',
            states: {
              waiting: {
                // Serf's reconnect runs until Shutdown, but a leaving node has no use for a rejoin, and
                // any join that completes now must not broadcast a join intent (MemberLayer.joinCompleted).
                always: { guard: 'notAlive', target: 'paused' },
                after: { reconnectInterval: { target: 'waiting', reenter: true, actions: ({ context }) => layer(context).reconnectTick() } },
                on: { 'runtime.restored': { target: 'waiting', reenter: true } },
              },
              /** Leaving or left: no reconnect timer (the lifecycle never goes back to alive). */
              paused: {},
            },
          },
        },
      },
      stopped: {
        type: 'final',
        entry: ({ context }) => {
          layer(context).shutdown()
          for (const asker of context.leaveAskers) env.fail(asker, { code: 'ERR_MEMBER_SHUTDOWN', message: 'member-manager stopped before the leave finished' })
        },
      },
    },
  })

  // The persisted snapshot is plain data: the layer keeps class instances (LamportClock, ...) in its
  // context, which the runtime refuses to persist (ERR_ACTOR_SNAPSHOT_UNCLONEABLE), so structuredClone
  // flattens them here and revive rebuilds them on restore. (The runtime also keeps its own detached
  // copy, so in-place updates after a checkpoint never reach it.) Persisting is throttled by the
  // definition (1 s), so the copies cost little. `machine.provide(...)` would build a machine without
  // this override; member-manager is never provided implementations.
  const persistedOf = machine.getPersistedSnapshot.bind(machine)
  machine.getPersistedSnapshot = (snapshot, options) => structuredClone(persistedOf(snapshot, options))
  return machine
}

export type MemberManagerMachine = ReturnType<typeof createMemberManagerMachine>

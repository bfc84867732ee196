/**
 * The member-manager machine: the member-manager core (core.ts, Serf's member layer as
 * `step(state, input) -> { state, effects }`) behind messages, with the node's lifecycle as states
 * and Serf's timers on the actor clock.
 *
 * running (parallel)
 * - lifecycle: alive → leaving.{broadcasting → memberlist → propagating} → left (Serf.Leave, spec §5.4)
 * - reaper: every ReapInterval, erase failed/left members past their timeouts (spec §5.6)
 * - reconnector: every ReconnectInterval, maybe ask swim to rejoin a failed member; paused once
 *   the lifecycle leaves `alive` (a leaving node does not rejoin anyone)
 * stopped (final, on runtime.shutdown)
 *
 * The seam: the context holds the core's state (`core`) as it is, plus the machine's own
 * bookkeeping (leave askers, timeouts, pending prunes, swim's feed, undelivered sends). Every
 * message or timer that concerns the core is one `turn` action: it feeds the core one input (with
 * the actor clock's time), assigns the state the core returns (the same object when nothing
 * changed) and runs the effects in order: tells by id to the peers named in the input, gossip
 * enqueues, a prune timer, and member events both emitted (XState `emit`, MemberManagerEmitted in
 * protocol.ts) and told to the `events` peer. The core never changes a state in place, so the
 * context is never written in place either, and XState's own persisted snapshot is the state,
 * sharing its unchanged parts with the live context (no override, no copy: the runtime makes the
 * one copy it posts).
 *
 * Timers and a restore: XState does not restart `after` timers or delayed events when an actor is
 * restored from a persisted snapshot, so every one is re-armed on `runtime.restored`: the reaper and
 * the reconnector tick (a full interval from the restore), the leave step in progress (re-entered:
 * its timeout starts again, the memberlist step asks swim again), and each scheduled prune (kept in
 * the context with its due time, raised again for the time left).
 *
 * swim's node changes come numbered (NodesChangedMsg `seq`); the context follows the numbering
 * (node-feed.ts), and a gap, or a restore from a snapshot that may be a second old, asks swim for
 * its whole table (`member.nodes-resync`), which brings the table back in line (issue 10).
 *
 * The states and transitions are here; the named actions (the `turn`, the tells outside the core,
 * what a restore re-arms) are in machine-actions.ts, as swim's are.
 */
import { assign, not, setup } from 'xstate'
import type { ActorEnv } from '../../src/types/actor-env.ts'
import { createSerfConfig } from './config.ts'
import { initialCoreState } from './core.ts'
import { localMetaOf, localUserStateOf, membersOf, othersListening, statsOf } from './member-reads.ts'
import { freshNodeFeed } from './node-feed.ts'
import { createEffectRunner } from './effect-runner.ts'
import { forceLeavesOf, type FeedPosition } from './machine-context.ts'
import { freshUserStatePush } from './user-state-push.ts'
import { memberManagerActions, type MemberManagerMachineTypes } from './machine-actions.ts'

export type { ForceLeaveState, MemberManagerContext, MemberManagerInput, MemberManagerPeers, PendingPrune, TurnParams } from './machine-context.ts'

export function createMemberManagerMachine(env: ActorEnv) {
  const { deliver, applyStep, clusterSize } = createEffectRunner(env)

  const now = (): number => env.clock.now()
  /** The feed position of a single change (`seq` absent: a sender without a feed). */
  const single = (seq: number | undefined): FeedPosition => ({ seq, changes: 1, resync: false })

  const machine = setup({
    types: {} as MemberManagerMachineTypes,
    actions: memberManagerActions(env, { deliver, applyStep }),
    guards: {
      // Our intent waits to be spread only while someone can still hear it: when the last other
      // alive or leaving member left too (two nodes leaving at once), nobody is left to tell.
      waitsForBroadcast: ({ context }) => context.core.leave?.waitForBroadcast === true && othersListening(context.core) > 0,
      isForceLeaveBroadcast: ({ context, event }) => event.type === 'gossip.broadcast-finished' && forceLeavesOf(context).pending.some((p) => p.id === event.id),
      isOurLeaveBroadcast: ({ context, event }) => event.type === 'gossip.broadcast-finished' && event.id === context.core.leave?.notifyId,
    },
    delays: {
      reapInterval: ({ context }) => context.core.config.reapIntervalMs,
      reconnectInterval: ({ context }) => context.core.config.reconnectIntervalMs,
      broadcastTimeout: ({ context }) => context.core.config.broadcastTimeoutMs,
      // swim waits up to BroadcastTimeout for its own dead broadcast; allow it that plus as much again.
      swimLeaveTimeout: ({ context }) => 2 * context.core.config.broadcastTimeoutMs,
      leavePropagateDelay: ({ context }) => context.core.config.leavePropagateDelayMs,
    },
  }).createMachine({
    id: 'member-manager',
    context: ({ input }) => ({
      core: initialCoreState(createSerfConfig(input.config)),
      peers: { swim: 'swim', gossipQueue: 'gossip-queue', ...input.peers },
      restored: input.restored ?? {},
      leaveAskers: [],
      leaveBroadcastTimeouts: 0,
      swimLeaveTimeouts: 0,
      prunes: [],
      feed: freshNodeFeed(),
      undelivered: 0,
      forceLeaves: { requested: 0, timedOut: 0, pending: [] },
      userStatePush: freshUserStatePush(),
      viewSeq: 0,
    }),
    initial: 'running',
    states: {
      running: {
        type: 'parallel',
        // Serf create (once: a restored state has started already, and XState runs no entry on a restore).
        entry: { type: 'turn', params: ({ context }) => ({ input: { type: 'start', restored: context.restored } }) },
        on: {
          // swim's feed: one turn each, following the numbering (`feed`) in the same assign.
          'member.node-joined': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'node-joined', node: event.node, now: now() }, feed: single(event.seq) }) } },
          'member.node-updated': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'node-updated', node: event.node, now: now() }, feed: single(event.seq) }) } },
          'member.node-left': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'node-left', node: event.node, now: now() }, feed: single(event.seq) }) } },
          'member.nodes-changed': {
            actions: {
              type: 'turn',
              params: ({ event }) => ({
                input: { type: 'nodes-changed', changes: event.changes, now: now() },
                feed: { seq: event.seq, changes: event.changes.length, resync: event.resync === true },
              }),
            },
          },
          'member.name-conflict': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'name-conflict', existing: event.existing, other: event.other } }) } },
          'member.user-message': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'user-message', bytes: event.bytes, now: now() } }) } },
          'member.merge-remote-state': {
            actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'merge-remote-state', bytes: event.bytes, join: event.join, now: now() } }) },
          },
          'member.user-state-due': { actions: 'tellUserState' },
          'member.local-state': {
            actions: ({ context, event }) => env.reply(event.replyTo, { type: 'member.local-state-reply', bytes: localUserStateOf(context.core) }),
          },
          'member.event-state': {
            actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'event-state', eventLTime: event.eventLTime, events: event.events, queryLTime: event.queryLTime } }) },
          },
          'member.local-meta': { actions: ({ context, event }) => env.reply(event.replyTo, { type: 'member.local-meta-reply', meta: localMetaOf(context.core) }) },
          'member.members': {
            actions: ({ context, event }) => {
              const es = context.core.eventState
              env.reply(event.replyTo, {
                type: 'member.members-reply',
                ...membersOf(context.core, event.statuses),
                viewSeq: context.viewSeq ?? 0,
                ...(es === undefined ? {} : { eventClocks: { eventLTime: es.eventLTime, queryLTime: es.queryLTime } }),
              })
            },
          },
          'member.set-tags': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'set-tags', tags: event.tags }, replyTo: event.replyTo }) } },
          'member.join-completed': {
            actions: [
              {
                type: 'turn',
                params: ({ event }) => ({ input: { type: 'join-completed', numJoined: event.numJoined, reconnect: event.reconnect === true, now: now() } }),
              },
              // swim forwarded the asker of the join: the join's members are in the table now.
              ({ event }) => {
                if (event.replyTo !== undefined) env.reply(event.replyTo, { type: 'swim.join-reply', numJoined: event.numJoined, errors: event.errors ?? [] })
              },
            ],
          },
          'member.stats': {
            actions: ({ context, event }) =>
              env.reply(event.replyTo, {
                type: 'member.stats-reply',
                ...statsOf(context.core),
                undelivered: (context.undelivered ?? 0) + clusterSize.stats.undelivered,
                leaveTimeouts: { broadcast: context.leaveBroadcastTimeouts, swim: context.swimLeaveTimeouts },
                forceLeaves: { requested: forceLeavesOf(context).requested, timedOut: forceLeavesOf(context).timedOut, waiting: forceLeavesOf(context).pending.length },
                feed: { ...(context.feed ?? freshNodeFeed()) },
              }),
          },
          'member.force-leave': {
            actions: {
              type: 'turn',
              params: ({ context, event }) => ({
                input: { type: 'force-leave', node: event.node, prune: event.prune === true, notifyTo: env.id, notifyId: `force-leave-${forceLeavesOf(context).requested + 1}`, now: now() },
                replyTo: event.replyTo,
              }),
            },
          },
          'gossip.broadcast-finished': { guard: 'isForceLeaveBroadcast', actions: 'forceLeaveSpread' },
          'member.force-leave-timeout': { actions: 'forceLeaveTimedOut' },
          'member.prune-due': { actions: ['forgetPrune', { type: 'turn', params: ({ event }) => ({ input: { type: 'prune-due', name: event.name, now: now() } }) }] },
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
                    actions: [
                      { type: 'turn', params: () => ({ input: { type: 'begin-leave', notifyTo: env.id, now: now() } }) },
                      assign({ leaveAskers: ({ event }) => (event.replyTo === undefined ? [] : [event.replyTo]) }),
                    ],
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
                    always: { guard: not('waitsForBroadcast'), target: 'memberlist' },
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
                              { code: 'ERR_MEMBER_LEAVE_BROADCAST_TIMEOUT', timeoutMs: context.core.config.broadcastTimeoutMs },
                              'leave intent not confirmed spread within BroadcastTimeout; going on with the memberlist leave',
                            ),
                        ],
                      },
                    },
                  },
                  /** memberlist Leave (dead with From = self), run by swim; it waits up to BroadcastTimeout, as in Serf. */
                  memberlist: {
                    entry: 'tellSwimLeave',
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
                  { type: 'turn', params: { input: { type: 'finish-leave' } } },
                  ({ context }) => {
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
                after: { reapInterval: { target: 'waiting', reenter: true, actions: { type: 'turn', params: () => ({ input: { type: 'reap-tick', now: now() } }) } } },
                on: {
                  // After a restore from a persisted snapshot: the context is the restored state as
                  // it is; only the timers are re-armed (this region's tick by the re-entry, the
                  // scheduled prunes by raising them again) and swim asked for its table.
                  'runtime.restored': { target: 'waiting', reenter: true, actions: ['rearmPrunes', 'resyncAfterRestore', 'dropStaleForceLeaves', 'rearmUserStatePush'] },
                },
              },
            },
          },
          reconnector: {
            initial: 'waiting',
            states: {
              waiting: {
                after: {
                  reconnectInterval: { target: 'waiting', reenter: true, actions: { type: 'turn', params: () => ({ input: { type: 'reconnect-tick', random: env.random } }) } },
                },
                on: {
                  // Serf's reconnect runs until Shutdown, but a leaving node has no use for a rejoin, and
                  // any join that completes now must not broadcast a join intent (core.ts joinCompleted).
                  // `member.leave` is the one way out of lifecycle.alive, and both regions take it in
                  // the same step. Not an eventless `stateIn` guard: XState evaluates those after every
                  // event, and resolving the state id was a third of a `members` poll's machine time
                  // with V8's compilers off (an agent's idle state, src/agent/tiering.ts).
                  'member.leave': { target: 'paused' },
                  'runtime.restored': { target: 'waiting', reenter: true },
                },
              },
              /** Leaving or left: no reconnect timer (the lifecycle never goes back to alive). */
              paused: {},
            },
          },
        },
      },
      stopped: {
        type: 'final',
        entry: [
          { type: 'turn', params: { input: { type: 'shutdown' } } },
          ({ context }) => {
            for (const asker of context.leaveAskers) env.fail(asker, { code: 'ERR_MEMBER_SHUTDOWN', message: 'member-manager stopped before the leave finished' })
            for (const p of forceLeavesOf(context).pending) if (p.replyTo !== undefined) env.fail(p.replyTo, { code: 'ERR_MEMBER_SHUTDOWN', message: 'member-manager stopped before the node removal was broadcast' })
          },
        ],
      },
    },
  })
  return machine
}

export type MemberManagerMachine = ReturnType<typeof createMemberManagerMachine>

/**
 * The serf-events machine: the core (core.ts, Serf's event layer as `step(state, input)`) behind
 * messages. One state, `running`; every message or timer is one `turn`: the core gets one input
 * (with the actor clock's time and the actor's seeded random source), its state is assigned and
 * its effects run in order:
 * - `broadcast`: `gossip.enqueue` on the serf-event / serf-query queue (the exact received bytes
 *   for a rebroadcast);
 * - `send`: `swim.send-user` (a UDP user message to an address: acks, responses, relays);
 * - `emit`: XState emit (SerfEventsEmitted: `serf.user-event`, `serf.query`, `serf.query-result`,
 *   `serf.query-closed`, `serf.member-event`); subscribe with `ref.on` / `ref.events`;
 * - `set-timer` / `cancel-timer`: a delayed `serf.timer` on the actor clock, by id (re-arming an
 *   id replaces its timer);
 * - `snapshot`: the event/query clock records to the snapshotter;
 * - `ask-keyring`: a key query's operation, asked of swim (`swim.keyring`, off the packet path),
 *   its reply back to this actor as `serf.keyring-result` (a new core input);
 * - `key-operation-done`: the reply to the `serf.key-operation` caller waiting under its token;
 * - `name-conflict-lost`: emitted as `serf.name-conflict-lost`; `log`: one log line.
 * After a turn that changed the push/pull slice (the event ring or either clock), the latest slice
 * goes to member-manager (`member.event-state`), once per turn, so member-manager answers push/pull
 * without asking anyone (no ask on the packet path).
 *
 * What a turn does outside the machine (tells, asks, waiting callers) is machine-ports.ts's.
 *
 * At start serf-events asks member-manager once for its table (not on the packet path) so a
 * serf-events started after members joined knows them; member events keep the view from then on.
 * Not persisted: a restarted serf-events starts from the clocks member-manager kept of its last
 * push/pull slice (they come with the member table it asks for at start; the input's are the
 * snapshot's, older), so no LTime is used twice and no event delivered twice; its open queries end
 * with the crashed instance. At shutdown
 * every open query is closed ('aborted'), so each query's stream gets its one close.
 */
import { enqueueActions, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import type { MembersReply } from '../member-manager/protocol.ts'
import type { SerfEventsInit } from './config.ts'
import { createSerfEventsConfig } from './config.ts'
import type { SerfEventsCoreState } from './core.ts'
import { eventStateChanged, initialCoreState, statsOf, step } from './core.ts'
import { nameConflictLost, SerfEventsPorts, toEmitted, type SerfEventsPeers, type TurnParams } from './machine-ports.ts'
import type { MemberFeedSnapshotMsg, SerfEventsEmitted, SerfEventsInbound } from './protocol.ts'
import type { RestoredClocks } from './serf-events-state.ts'

export interface SerfEventsInput {
  /** This node's name (Serf NodeName): its own member record, a query's SourceNode, a response's From. */
  nodeName: string
  config?: SerfEventsInit
  peers?: Partial<SerfEventsPeers>
  /** Clocks replayed from the snapshot (`event-clock:`, `query-clock:`): the clocks and min times start past them. */
  restored?: RestoredClocks
}

export interface SerfEventsContext {
  core: SerfEventsCoreState
  peers: SerfEventsPeers
  /** Tells that found no receiver (unknown, stopped or refusing peer); counted, never retried. */
  undelivered: number
}

/** Internal: a timer armed by the core fired. */
type TimerEvent = { type: 'serf.timer'; id: string }

type SerfEventsEvent = SerfEventsInbound | TimerEvent | RuntimeEvent

export function createSerfEventsMachine(env: ActorEnv) {
  const ports = new SerfEventsPorts(env)
  const now = (): number => env.clock.now()

  const machine = setup({
    types: {} as { context: SerfEventsContext; events: SerfEventsEvent; input: SerfEventsInput; emitted: SerfEventsEmitted },
    actions: {
      turn: enqueueActions(({ context, enqueue }, params: TurnParams) => {
        const r = step(context.core, params.input)
        let undelivered = 0
        for (const e of r.effects) {
          switch (e.type) {
            case 'emit': {
              const out = toEmitted(e.event)
              if (out !== undefined) enqueue.emit(out)
              break
            }
            case 'set-timer':
              enqueue.cancel(e.id)
              enqueue.raise({ type: 'serf.timer', id: e.id }, { id: e.id, delay: Math.max(0, e.atMs - now()) })
              break
            case 'cancel-timer':
              enqueue.cancel(e.id)
              break
            case 'name-conflict-lost':
              enqueue.emit(nameConflictLost(e))
              break
            default:
              undelivered += ports.run(e, context.peers)
          }
        }
        if (r.state !== context.core || undelivered > 0) enqueue.assign({ core: r.state, undelivered: context.undelivered + undelivered })
        if (eventStateChanged(context.core, r.state)) enqueue(({ self }) => ports.pushSlice(self))
        ports.settle(params, r.result)
      }),
      /** Start: the slice to member-manager, and member-manager's table for the member feed. */
      start: ({ context, self }) => {
        ports.pushSlice(self)
        const mm = context.peers.memberManager
        env
          .ask(actorAddress(mm), { type: 'member.members' }, { timeoutMs: 10_000 })
          .then((reply) => {
            const r = reply as MembersReply
            const msg: MemberFeedSnapshotMsg = { type: 'serf.members', members: r.members, ...(r.eventClocks === undefined ? {} : { clocks: r.eventClocks }) }
            env.send(actorAddress<MemberFeedSnapshotMsg>(env.id), msg)
          })
          .catch((err: unknown) => env.log.debug({ err, memberManager: mm }, 'no member table from member-manager at start; the member feed starts empty'))
      },
    },
  }).createMachine({
    id: 'serf-events',
    context: ({ input }) => ({
      core: initialCoreState(createSerfEventsConfig(input.config ?? {}), input.nodeName, input.restored ?? {}),
      peers: { swim: 'swim', gossipQueue: 'gossip-queue', memberManager: 'member-manager', ...input.peers },
      undelivered: 0,
    }),
    initial: 'running',
    states: {
      running: {
        entry: 'start',
        on: {
          'serf.message': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'message', bytes: event.bytes, now: now(), random: env.random } }) } },
          'serf.user-event': {
            actions: {
              type: 'turn',
              params: ({ event }) => ({
                input: { type: 'user-event', request: { name: event.name, payload: event.payload ?? null, coalesce: event.coalesce }, now: now() },
                replyTo: event.replyTo,
                answer: (v) => ({ type: 'serf.user-event-reply', ltime: v.kind === 'user-event' ? v.ltime : 0n }),
              }),
            },
          },
          'serf.query': {
            actions: {
              type: 'turn',
              params: ({ event }) => ({
                input: {
                  type: 'query',
                  request: {
                    name: event.name,
                    payload: event.payload ?? null,
                    filters: { ...(event.filterNodes !== undefined ? { nodes: event.filterNodes } : {}), ...(event.filterTags !== undefined ? { tags: event.filterTags } : {}) },
                    ...(event.requestAck !== undefined ? { requestAck: event.requestAck } : {}),
                    ...(event.relayFactor !== undefined ? { relayFactor: event.relayFactor } : {}),
                    ...(event.timeoutMs !== undefined ? { timeoutMs: event.timeoutMs } : {}),
                  },
                  now: now(),
                  random: env.random,
                },
                replyTo: event.replyTo,
                answer: (v) => (v.kind === 'query' ? { type: 'serf.query-started', id: v.id, ltime: v.ltime, deadline: v.deadlineMs } : undefined),
              }),
            },
          },
          'serf.query-abort': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'abort', ltime: event.ltime, id: event.id, now: now() } }) } },
          'serf.respond': {
            actions: {
              type: 'turn',
              params: ({ event }) => ({
                input: { type: 'respond', key: event.key, payload: event.payload ?? null, now: now(), random: env.random },
                replyTo: event.replyTo,
                answer: () => ({ type: 'serf.respond-reply' }),
              }),
            },
          },
          'member.event': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'member-event', event: event.event, members: event.members, now: now() } }) } },
          'serf.members': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'members', members: event.members, ...(event.clocks === undefined ? {} : { clocks: event.clocks }) } }) } },
          'serf.merge-remote-events': {
            actions: {
              type: 'turn',
              params: ({ event }) => ({ input: { type: 'merge-remote', eventLTime: event.eventLTime, events: event.events, queryLTime: event.queryLTime, join: event.join, now: now() } }),
            },
          },
          'serf.timer': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'timer', id: event.id, now: now(), random: env.random } }) } },
          'serf.keyring-result': {
            actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'keyring-reply', key: event.key, kind: event.kind, reply: event.reply, now: now(), random: env.random } }) },
          },
          'serf.name-conflict': { actions: { type: 'turn', params: ({ event }) => ({ input: { type: 'name-conflict', other: event.other, now: now(), random: env.random } }) } },
          'serf.key-operation': {
            actions: [
              { type: 'turn', params: ({ event }) => ports.keyOperationTurn(event, now()) },
            ],
          },
          'serf.stats': {
            actions: ({ context, event }) => {
              const s = statsOf(context.core)
              const { eventTime, queryTime, members, numMembers, counters, ...cores } = s
              env.reply(event.replyTo, {
                type: 'serf.stats-reply',
                eventTime,
                queryTime,
                members,
                numMembers,
                counters: { ...(cores as unknown as Record<string, Record<string, number> | number>), actor: { ...counters, undelivered: context.undelivered + ports.sliceUndelivered } },
              })
            },
          },
          'runtime.shutdown': { target: 'stopped' },
        },
      },
      /** Open queries end with their one `serf.query-closed` (aborted); XState drops the pending timers. */
      stopped: { type: 'final', entry: { type: 'turn', params: () => ({ input: { type: 'shutdown', now: now() } }) } },
    },
  })
  return machine
}

export type SerfEventsMachine = ReturnType<typeof createSerfEventsMachine>

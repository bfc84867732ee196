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
 * At start serf-events asks member-manager once for its table (not on the packet path) so a
 * serf-events started after members joined knows them; member events keep the view from then on.
 * Not persisted: a restarted serf-events starts from the clocks member-manager kept of its last
 * push/pull slice (they come with the member table it asks for at start; the input's are the
 * snapshot's, older), so no LTime is used twice and no event delivered twice; its open queries end
 * with the crashed instance. At shutdown
 * every open query is closed ('aborted'), so each query's stream gets its one close.
 */
import { enqueueActions, setup, type AnyActorRef } from 'xstate'
import type { ActorEnv, Message, ReplyTo, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { createLatestTell } from '../../src/types/latest-tell.ts'
import { toWireError } from '../../src/errors/index.ts'
import type { GossipQueueInbound } from '../gossip-queue/protocol.ts'
import type { EventStateMsg, MembersReply } from '../member-manager/protocol.ts'
import type { SerfEventsInit } from './config.ts'
import { createSerfEventsConfig } from './config.ts'
import type { CoreEffect, CoreInput, CoreResult, SerfEventsCoreState } from './core.ts'
import { eventStateChanged, eventStateOf, initialCoreState, statsOf, step } from './core.ts'
import type { KeyringMsg, KeyringReply } from '../swim/protocol.ts'
import type { KeyOperationReply, KeyringResultMsg, MemberFeedSnapshotMsg, NameConflictLostEmitted, SerfEventsEmitted, SerfEventsInbound, SwimSendUserMsg } from './protocol.ts'
import { pendingKey } from './query-responder.ts'
import type { RestoredClocks } from './serf-events-state.ts'

/** ms: swim answers a keyring ask at once; this only bounds a stuck or stopped swim. */
const KEYRING_ASK_TIMEOUT_MS = 5_000

export interface SerfEventsPeers {
  swim: string
  gossipQueue: string
  /** Gets `member.event-state`; asked for its table at start. */
  memberManager: string
  /** Gets the `snapshot.event-clock` / `snapshot.query-clock` records; none → no snapshot. */
  snapshotter?: string
}

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

/** An `answer` that replies later (a key operation in flight). */
const NO_REPLY = Symbol('no-reply')

/** Internal: a timer armed by the core fired. */
type TimerEvent = { type: 'serf.timer'; id: string }

type SerfEventsEvent = SerfEventsInbound | TimerEvent | RuntimeEvent

/** Params of `turn`: one core input and who waits for its result. */
export interface TurnParams {
  input: CoreInput
  replyTo?: ReplyTo<unknown> | undefined
  /** The reply for a successful result. */
  answer?: (r: Extract<CoreResult, { ok: true }>['value']) => unknown
}

export function createSerfEventsMachine(env: ActorEnv) {
  let memberManagerId = 'member-manager'
  const slice = createLatestTell<EventStateMsg>(env, () => memberManagerId)
  let sliceDue = false

  /** The latest slice goes to member-manager at the end of the turn (built then, once). */
  const pushSlice = (self: AnyActorRef): void => {
    if (sliceDue) return
    sliceDue = true
    queueMicrotask(() => {
      sliceDue = false
      const snap = self.getSnapshot() as { status: string; context: SerfEventsContext }
      if (snap.status !== 'active') return
      memberManagerId = snap.context.peers.memberManager
      slice.set({ type: 'member.event-state', ...eventStateOf(snap.context.core) })
    })
  }

  const now = (): number => env.clock.now()

  /**
   * Callers of `serf.key-operation` waiting for their query's tally, by the core's token: one per
   * key query in flight (bounded by maxOpenQueries; each query closes by its deadline or shutdown).
   */
  const keyOpCallers = new Map<string, ReplyTo<KeyOperationReply>>()
  let nextToken = 0

  /**
   * A key query's operation on swim's live keyring: an ask (never on the packet path: the query
   * stays pending meanwhile), its reply back to this actor as `serf.keyring-result`. A failed ask
   * is answered as a keyring failure, so the originator still hears from us.
   */
  const askKeyring = (swim: string, e: Extract<CoreEffect, { type: 'ask-keyring' }>): void => {
    const msg: KeyringMsg = e.op.kind === 'list' ? { type: 'swim.keyring', op: 'list' } : { type: 'swim.keyring', op: e.op.kind, key: e.op.key }
    const back = (reply: KeyringResultMsg['reply']): void => {
      env.send(actorAddress<KeyringResultMsg>(env.id), { type: 'serf.keyring-result', key: e.key, kind: e.kind, reply })
    }
    env
      .ask(actorAddress(swim), msg, { timeoutMs: KEYRING_ASK_TIMEOUT_MS })
      .then((r) => {
        const reply = r as KeyringReply
        back(reply.ok ? { ok: true, keys: reply.keys, primary: reply.primary } : { ok: false, message: reply.message })
      })
      .catch((err: unknown) => back({ ok: false, message: `keyring unavailable: ${err instanceof Error ? err.message : String(err)}` }))
  }

  const toEmitted = (e: Extract<CoreEffect, { type: 'emit' }>['event']): SerfEventsEmitted | undefined => {
    switch (e.type) {
      case 'user-event':
        return { type: 'serf.user-event', ltime: e.ltime, name: e.name, payload: e.payload, coalesce: e.coalesce }
      case 'query':
        return { type: 'serf.query', ltime: e.ltime, id: e.id, name: e.name, payload: e.payload, sourceNode: e.sourceNode, deadline: e.deadlineMs, key: pendingKey(e.ltime, e.id) }
      case 'query-result':
        return { type: 'serf.query-result', id: e.id, ltime: e.ltime, kind: e.kind, from: e.from, payload: e.payload }
      case 'query-closed':
        return { type: 'serf.query-closed', id: e.id, ltime: e.ltime, reason: e.reason, acks: e.acks, responses: e.responses }
      case 'member-event':
        return { type: 'serf.member-event', event: e.event, members: e.members as Extract<SerfEventsEmitted, { type: 'serf.member-event' }>['members'] }
      case 'internal-query':
        return undefined // the core answers these itself; never reaches here
    }
  }

  /**
   * A key operation: its caller is registered under a fresh token before the turn (so an outcome
   * within the same turn finds it), and forgotten after it unless the query was sent.
   */
  const keyOperationTurn = (event: Extract<SerfEventsInbound, { type: 'serf.key-operation' }>): TurnParams => {
    const token = String(nextToken++)
    if (event.replyTo !== undefined) keyOpCallers.set(token, event.replyTo)
    return {
      input: { type: 'key-operation', token, kind: event.kind, key: event.key ?? null, ...(event.relayFactor !== undefined ? { relayFactor: event.relayFactor } : {}), now: now(), random: env.random },
      replyTo: event.replyTo,
      answer: (v) => {
        if (v.kind === 'key-operation') return { type: 'serf.key-operation-reply', response: v.response, error: v.error, code: v.code } satisfies KeyOperationReply
        // Sent: the reply comes with the query's tally (key-operation-done).
        return NO_REPLY
      },
    }
  }

  const machine = setup({
    types: {} as { context: SerfEventsContext; events: SerfEventsEvent; input: SerfEventsInput; emitted: SerfEventsEmitted },
    actions: {
      turn: enqueueActions(({ context, enqueue }, { input, replyTo, answer }: TurnParams) => {
        const r = step(context.core, input)
        const peers = context.peers
        let undelivered = 0
        const tell = (to: string | undefined, msg: Message): void => {
          if (to === undefined) return
          const status = env.send(actorAddress<Message>(to), msg)
          if (status === 'unknown' || status === 'stopped' || status === 'rejected') undelivered++
        }
        for (const e of r.effects) {
          switch (e.type) {
            case 'broadcast': {
              const msg: GossipQueueInbound = { type: 'gossip.enqueue', broadcast: { queue: e.queue, message: e.message, unique: true } }
              tell(peers.gossipQueue, msg)
              break
            }
            case 'send': {
              const msg: SwimSendUserMsg = { type: 'swim.send-user', addr: e.addr, port: e.port, bytes: e.message }
              tell(peers.swim, msg)
              break
            }
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
            case 'snapshot':
              tell(peers.snapshotter, e.msg)
              break
            case 'ask-keyring':
              askKeyring(peers.swim, e)
              break
            case 'key-operation-done': {
              const waiting = keyOpCallers.get(e.token)
              keyOpCallers.delete(e.token)
              if (waiting !== undefined) env.reply(waiting, { type: 'serf.key-operation-reply', response: e.response, error: e.error } satisfies KeyOperationReply)
              break
            }
            case 'name-conflict-lost': {
              const d = e.decision
              const out: NameConflictLostEmitted = { type: 'serf.name-conflict-lost', name: e.name, other: e.other, responses: d.responses, matching: d.matching, quorum: d.quorum, majority: d.majority, eligibleVoters: d.eligibleVoters, attempt: d.attempt, log: d.log }
              enqueue.emit(out)
              break
            }
            case 'log':
              env.log[e.level](e.fields, e.msg)
              break
            default: {
              const unknown: never = e
              return unknown
            }
          }
        }
        if (r.state !== context.core || undelivered > 0) enqueue.assign({ core: r.state, undelivered: context.undelivered + undelivered })
        if (eventStateChanged(context.core, r.state)) enqueue(({ self }) => pushSlice(self))
        // A key operation that sent no query (refused, or answered at once) has no caller to keep.
        if (input.type === 'key-operation' && !(r.result?.ok === true && r.result.value.kind === 'key-operation-pending')) keyOpCallers.delete(input.token)
        if (replyTo !== undefined && r.result !== undefined) {
          if (r.result.ok) {
            const out = answer?.(r.result.value)
            if (out !== NO_REPLY) env.reply(replyTo, out)
          }
          else env.fail(replyTo, toWireError(r.result.error))
        }
      }),
      /** Start: the slice to member-manager, and member-manager's table for the member feed. */
      start: ({ context, self }) => {
        pushSlice(self)
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
              { type: 'turn', params: ({ event }) => keyOperationTurn(event) },
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
                counters: { ...(cores as unknown as Record<string, Record<string, number> | number>), actor: { ...counters, undelivered: context.undelivered + slice.stats.undelivered } },
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

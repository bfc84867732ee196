/**
 * What the serf-events machine's turns do outside the machine (machine.ts runs the emits and timers
 * itself): tells to swim, gossip-queue and the snapshotter, the push/pull slice to member-manager
 * (latest only, once per turn), swim's keyring asked for a key query, and the callers of
 * `serf.key-operation` waiting for their query's tally. The callers' reply handles cannot be
 * copied into a context, so they live here, one set per machine instance.
 */
import type { AnyActorRef } from 'xstate'
import type { ActorEnv, Message, ReplyTo } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { createLatestTell } from '../../src/types/latest-tell.ts'
import { toWireError } from '../../src/errors/index.ts'
import type { GossipQueueInbound } from '../gossip-queue/protocol.ts'
import type { EventStateMsg } from '../member-manager/protocol.ts'
import type { CoreEffect, CoreInput, CoreResult, SerfEventsCoreState } from './core.ts'
import { eventStateOf } from './core.ts'
import type { KeyringMsg, KeyringReply } from '../swim/protocol.ts'
import type { KeyOperationReply, KeyringResultMsg, NameConflictLostEmitted, SerfEventsEmitted, SerfEventsInbound, SwimSendUserMsg } from './protocol.ts'
import { pendingKey } from './query-responder.ts'

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

/** An `answer` that replies later (a key operation in flight). */
export const NO_REPLY = Symbol('no-reply')

/** Params of `turn`: one core input and who waits for its result. */
export interface TurnParams {
  input: CoreInput
  replyTo?: ReplyTo<unknown> | undefined
  /** The reply for a successful result. */
  answer?: (r: Extract<CoreResult, { ok: true }>['value']) => unknown
}

/** The effects the ports run (the machine runs `emit`, `set-timer`, `cancel-timer` and `name-conflict-lost`). */
export type PortEffect = Exclude<CoreEffect, { type: 'emit' | 'set-timer' | 'cancel-timer' | 'name-conflict-lost' }>

/** The core's emitted event as the actor emits it (`undefined`: an internal query, answered by the core). */
export function toEmitted(e: Extract<CoreEffect, { type: 'emit' }>['event']): SerfEventsEmitted | undefined {
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

export function nameConflictLost(e: Extract<CoreEffect, { type: 'name-conflict-lost' }>): NameConflictLostEmitted {
  const d = e.decision
  return { type: 'serf.name-conflict-lost', name: e.name, other: e.other, responses: d.responses, matching: d.matching, quorum: d.quorum, majority: d.majority, eligibleVoters: d.eligibleVoters, attempt: d.attempt, log: d.log }
}

export class SerfEventsPorts {
  #memberManagerId = 'member-manager'
  readonly #slice: ReturnType<typeof createLatestTell<EventStateMsg>>
  #sliceDue = false
  /**
   * Callers of `serf.key-operation` waiting for their query's tally, by the core's token: one per
   * key query in flight (bounded by maxOpenQueries; each query closes by its deadline or shutdown).
   */
  readonly #keyOpCallers = new Map<string, ReplyTo<KeyOperationReply>>()
  #nextToken = 0

  constructor(private readonly env: ActorEnv) {
    this.#slice = createLatestTell<EventStateMsg>(env, () => this.#memberManagerId)
  }

  /** Tells of the slice that found no receiver. */
  get sliceUndelivered(): number {
    return this.#slice.stats.undelivered
  }

  /** The latest slice goes to member-manager at the end of the turn (built then, once). */
  pushSlice(self: AnyActorRef): void {
    if (this.#sliceDue) return
    this.#sliceDue = true
    queueMicrotask(() => {
      this.#sliceDue = false
      const snap = self.getSnapshot() as { status: string; context: { core: SerfEventsCoreState; peers: SerfEventsPeers } }
      if (snap.status !== 'active') return
      this.#memberManagerId = snap.context.peers.memberManager
      this.#slice.set({ type: 'member.event-state', ...eventStateOf(snap.context.core) })
    })
  }

  /** Runs one effect; returns 1 when its tell found no receiver (unknown, stopped or refusing), else 0. */
  run(e: PortEffect, peers: SerfEventsPeers): number {
    switch (e.type) {
      case 'broadcast': {
        const msg: GossipQueueInbound = { type: 'gossip.enqueue', broadcast: { queue: e.queue, message: e.message, unique: true } }
        return this.#tell(peers.gossipQueue, msg)
      }
      case 'send': {
        const msg: SwimSendUserMsg = { type: 'swim.send-user', addr: e.addr, port: e.port, bytes: e.message }
        return this.#tell(peers.swim, msg)
      }
      case 'snapshot':
        return this.#tell(peers.snapshotter, e.msg)
      case 'ask-keyring':
        this.#askKeyring(peers.swim, e)
        return 0
      case 'key-operation-done': {
        const waiting = this.#keyOpCallers.get(e.token)
        this.#keyOpCallers.delete(e.token)
        if (waiting !== undefined) this.env.reply(waiting, { type: 'serf.key-operation-reply', response: e.response, error: e.error } satisfies KeyOperationReply)
        return 0
      }
      case 'log':
        this.env.log[e.level](e.fields, e.msg)
        return 0
      default: {
        const unknown: never = e
        return unknown
      }
    }
  }

  /**
   * After the turn's effects: a key operation that sent no query (refused, or answered at once) has
   * no caller to keep; the caller of the turn gets its reply or its coded error.
   */
  settle(params: TurnParams, result: CoreResult | undefined): void {
    const { input, replyTo, answer } = params
    if (input.type === 'key-operation' && !(result?.ok === true && result.value.kind === 'key-operation-pending')) this.#keyOpCallers.delete(input.token)
    if (replyTo === undefined || result === undefined) return
    if (result.ok) {
      const out = answer?.(result.value)
      if (out !== NO_REPLY) this.env.reply(replyTo, out)
    } else this.env.fail(replyTo, toWireError(result.error))
  }

  /**
   * A key operation: its caller is registered under a fresh token before the turn (so an outcome
   * within the same turn finds it), and forgotten after it unless the query was sent.
   */
  keyOperationTurn(event: Extract<SerfEventsInbound, { type: 'serf.key-operation' }>, now: number): TurnParams {
    const token = String(this.#nextToken++)
    if (event.replyTo !== undefined) this.#keyOpCallers.set(token, event.replyTo)
    return {
      input: { type: 'key-operation', token, kind: event.kind, key: event.key ?? null, ...(event.relayFactor !== undefined ? { relayFactor: event.relayFactor } : {}), now, random: this.env.random },
      replyTo: event.replyTo,
      answer: (v) => {
        if (v.kind === 'key-operation') return { type: 'serf.key-operation-reply', response: v.response, error: v.error, code: v.code } satisfies KeyOperationReply
        // Sent: the reply comes with the query's tally (key-operation-done).
        return NO_REPLY
      },
    }
  }

  #tell(to: string | undefined, msg: Message): number {
    if (to === undefined) return 0
    const status = this.env.send(actorAddress<Message>(to), msg)
    return status === 'unknown' || status === 'stopped' || status === 'rejected' ? 1 : 0
  }

  /**
   * A key query's operation on swim's live keyring: an ask (never on the packet path: the query
   * stays pending meanwhile), its reply back to this actor as `serf.keyring-result`. A failed ask
   * is answered as a keyring failure, so the originator still hears from us.
   */
  #askKeyring(swim: string, e: Extract<CoreEffect, { type: 'ask-keyring' }>): void {
    const env = this.env
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
}

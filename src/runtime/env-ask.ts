/**
 * The asking half of an ActorEnv (`env.ask`): opens the ask in the asker's own AskTable, sends the
 * request with a `replyTo` token addressed to the asker, and turns a send the target's side
 * refused (`rejected`, `stopped`, `unknown`) into the ask's coded error at once instead of a
 * timeout. The runtime's envs use it; a hand-built env (a test, a bench) gives it its own send and
 * clock and gets an ask that behaves as the runtime's does, and the table to answer it with.
 */
import type { ActorAddress, ActorEnv, EnvAskOptions, Message, ReplyOf, SendStatus } from '../types/actor-env.ts'
import type { ActorClock } from '../types/time.ts'
import { ActorStoppedError, AskAbortedError, InvalidMessageError, MailboxFullError, UnknownActorError } from '../errors/runtime-errors.ts'
import { AskTable, askTimeoutProblem } from './ask-table.ts'

export interface AskParts {
  /** The asking actor's id: replies are addressed to it. */
  id: string
  /** The asker's clock (timeouts run on it). */
  clock: ActorClock
  /** How the asker tells other actors (the env's `send`). */
  send(to: string, msg: Message): SendStatus
  /** The mailbox bound toward `to`, for ERR_ACTOR_MAILBOX_FULL details (0 when not known). */
  capacity?(to: string): number
  /**
   * Incarnation of the asking thread (a worker actor's thread restarts count). Correlation ids
   * carry it, so a reply meant for an earlier incarnation never matches a new ask.
   */
  epoch?: number
}

export interface AskPort {
  ask: ActorEnv['ask']
  /** The pending asks: replies addressed to this asker settle them (`resolve` / `reject`). */
  table: AskTable
}

export function createAsk(parts: AskParts): AskPort {
  const { send, capacity } = parts
  const me = parts.id
  const table = new AskTable(parts.clock, parts.epoch ?? 0)
  const ask = <M extends Message>(to: ActorAddress<M>, msg: M, options: EnvAskOptions): Promise<ReplyOf<M>> => {
    const type = String((msg as { type?: unknown } | null)?.type)
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
      return Promise.reject(new InvalidMessageError(to, type, 'a message must be an object with a string type'))
    }
    const timeoutMs = options?.timeoutMs
    const problem = askTimeoutProblem(timeoutMs)
    if (problem !== undefined) return Promise.reject(new InvalidMessageError(to, type, problem))
    const signal = options.signal
    if (signal?.aborted) return Promise.reject(new AskAbortedError(to, type, { cause: signal.reason }))
    const { cid, promise } = table.open(to, type, timeoutMs, signal)
    // Object.assign, not a spread: on Node 20 the spread plus a property costs ~0.6-0.9 us per ask, this ~0.1 us (same fresh copy).
    const status = send(to, Object.assign({}, msg, { replyTo: { to: me, cid } }) as Message)
    if (status === 'rejected') table.reject(cid, new MailboxFullError(to, capacity?.(to) ?? 0))
    else if (status === 'stopped') table.reject(cid, new ActorStoppedError(to))
    else if (status === 'unknown') table.reject(cid, new UnknownActorError(to))
    return promise as Promise<ReplyOf<M>>
  }
  return { ask, table }
}

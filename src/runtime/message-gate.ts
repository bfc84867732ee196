/**
 * MessageGate: what an actor accepts, checked before its machine sees a message. The definition's
 * `accepts` list (default: the machine's own event types, without the runtime's and XState's)
 * narrows the protocol, and its `validate` checks payloads. A refusal is a coded error the host
 * reports (and fails the request's ask with); the machine never sees the message.
 */
import type { AnyStateMachine } from 'xstate'
import type { Message } from '../types/actor-env.ts'
import { InvalidMessageError, UnknownMessageError } from '../errors/runtime-errors.ts'
import type { ActorDefinition } from './define-actor.ts'

export class MessageGate {
  /** Accepted types; undefined when the actor takes any (`'*'`). */
  readonly #accepts: Set<string> | undefined
  readonly #validate: ((msg: never) => string | undefined) | undefined

  constructor(
    readonly actorId: string,
    definition: ActorDefinition<AnyStateMachine>,
    machine: AnyStateMachine,
  ) {
    const accepts = definition.accepts ?? (machine.events as string[]).filter((t) => !t.startsWith('runtime.') && !t.startsWith('xstate.'))
    this.#accepts = accepts.includes('*') ? undefined : new Set(accepts)
    this.#validate = definition.validate as ((msg: never) => string | undefined) | undefined
  }

  /** Why `msg` is refused, or undefined when the machine may have it. Never throws. */
  check(msg: Message): UnknownMessageError | InvalidMessageError | undefined {
    const type = msg.type
    if (this.#accepts !== undefined && !this.#accepts.has(type)) return new UnknownMessageError(this.actorId, type)
    if (this.#validate === undefined) return undefined
    let reason: string | undefined
    try {
      reason = this.#validate(msg as never)
    } catch (err) {
      reason = `validation threw: ${err instanceof Error ? err.message : String(err)}`
    }
    return reason === undefined ? undefined : new InvalidMessageError(this.actorId, type, reason)
  }
}

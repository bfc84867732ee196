/**
 * Errors of the actor runtime (src/runtime). Each has a stable code; across threads they travel as
 * `{ code, message }` and `runtimeErrorFromWire` turns them back into these classes.
 */
import { ClusterError, fromWireError, type WireError } from './cluster-error.ts'

type Opts = { cause?: unknown; details?: Record<string, unknown> }

/** Thrown when a message is addressed to an actor id the system does not know. */
export class UnknownActorError extends ClusterError {
  static override name = 'UnknownActorError'
  constructor(actor: string, options: Opts = {}) {
    super('ERR_ACTOR_UNKNOWN', `no actor with id "${actor}"`, { ...options, details: { actor, ...options.details } })
  }
}

/** Thrown when the target actor is stopped, escalated, or the system is shutting down. */
export class ActorStoppedError extends ClusterError {
  static override name = 'ActorStoppedError'
  constructor(actor: string, options: Opts = {}) {
    super('ERR_ACTOR_STOPPED', `actor "${actor}" is stopped`, { ...options, details: { actor, ...options.details } })
  }
}

/** Thrown when a message's `type` is not in the actor's protocol. */
export class UnknownMessageError extends ClusterError {
  static override name = 'UnknownMessageError'
  constructor(actor: string, type: unknown, options: Opts = {}) {
    super('ERR_ACTOR_UNKNOWN_MESSAGE', `actor "${actor}" does not accept message type ${JSON.stringify(type)}`, {
      ...options,
      details: { actor, type: String(type), ...options.details },
    })
  }
}

/** Thrown when a message fails the actor's payload validation. */
export class InvalidMessageError extends ClusterError {
  static override name = 'InvalidMessageError'
  constructor(actor: string, type: string, reason: string, options: Opts = {}) {
    super('ERR_ACTOR_INVALID_MESSAGE', `actor "${actor}" rejected "${type}": ${reason}`, {
      ...options,
      details: { actor, type, reason, ...options.details },
    })
  }
}

/** Thrown when an ask gets no reply within its timeout. */
export class AskTimeoutError extends ClusterError {
  static override name = 'AskTimeoutError'
  constructor(actor: string, type: string, timeoutMs: number) {
    super('ERR_ACTOR_ASK_TIMEOUT', `ask "${type}" to "${actor}" got no reply within ${timeoutMs} ms`, {
      details: { actor, type, timeoutMs },
    })
  }
}

/** Thrown when an ask's AbortSignal fires before the reply. */
export class AskAbortedError extends ClusterError {
  static override name = 'AskAbortedError'
  constructor(actor: string, type: string, options: Opts = {}) {
    super('ERR_ACTOR_ASK_ABORTED', `ask "${type}" to "${actor}" was aborted`, { ...options, details: { actor, type } })
  }
}

/** Thrown to asks in flight when the actor that should answer crashed. */
export class ActorCrashedError extends ClusterError {
  static override name = 'ActorCrashedError'
  constructor(actor: string, reason: string, options: Opts = {}) {
    super('ERR_ACTOR_CRASHED', `actor "${actor}" crashed: ${reason}`, { ...options, details: { actor, ...options.details } })
  }
}

/** Thrown (to an ask) when the mailbox is full and the policy refuses the message. */
export class MailboxFullError extends ClusterError {
  static override name = 'MailboxFullError'
  constructor(actor: string, capacity: number) {
    super('ERR_ACTOR_MAILBOX_FULL', `mailbox of "${actor}" is full (${capacity})`, { details: { actor, capacity } })
  }
}

/** Thrown when spawning an id that is already taken. */
export class DuplicateActorError extends ClusterError {
  static override name = 'DuplicateActorError'
  constructor(actor: string) {
    super('ERR_ACTOR_DUPLICATE_ID', `an actor with id "${actor}" already exists`, { details: { actor } })
  }
}

/** Thrown when an actor cannot start (bad worker entry, machine factory threw, handshake failed). */
export class ActorStartError extends ClusterError {
  static override name = 'ActorStartError'
  constructor(actor: string, reason: string, options: Opts = {}) {
    super('ERR_ACTOR_START_FAILED', `actor "${actor}" failed to start: ${reason}`, { ...options, details: { actor } })
  }
}

/** Reported when an actor crashed more often than its supervision allows. */
export class ActorEscalatedError extends ClusterError {
  static override name = 'ActorEscalatedError'
  constructor(actor: string, restarts: number, options: Opts = {}) {
    super('ERR_ACTOR_ESCALATED', `actor "${actor}" crashed after ${restarts} restarts; giving up`, {
      ...options,
      details: { actor, restarts },
    })
  }
}

/** Thrown by operations on a system that is shutting down or shut down. */
export class SystemShutDownError extends ClusterError {
  static override name = 'SystemShutDownError'
  constructor(what: string) {
    super('ERR_SYSTEM_SHUT_DOWN', `actor system is shut down (${what})`)
  }
}

/** Thrown by a compute task, or when the compute pool is disabled. */
export class ComputeError extends ClusterError {
  static override name = 'ComputeError'
  constructor(code: 'ERR_COMPUTE_DISABLED' | 'ERR_COMPUTE_FAILED', message: string, options: Opts = {}) {
    super(code, message, options)
  }
}

const BY_CODE: Record<string, new (...args: never[]) => ClusterError> = {
  ERR_ACTOR_UNKNOWN: UnknownActorError,
  ERR_ACTOR_STOPPED: ActorStoppedError,
  ERR_ACTOR_UNKNOWN_MESSAGE: UnknownMessageError,
  ERR_ACTOR_INVALID_MESSAGE: InvalidMessageError,
  ERR_ACTOR_ASK_TIMEOUT: AskTimeoutError,
  ERR_ACTOR_ASK_ABORTED: AskAbortedError,
  ERR_ACTOR_CRASHED: ActorCrashedError,
  ERR_ACTOR_MAILBOX_FULL: MailboxFullError,
  ERR_ACTOR_DUPLICATE_ID: DuplicateActorError,
  ERR_ACTOR_START_FAILED: ActorStartError,
  ERR_ACTOR_ESCALATED: ActorEscalatedError,
  ERR_SYSTEM_SHUT_DOWN: SystemShutDownError,
  ERR_COMPUTE_DISABLED: ComputeError,
  ERR_COMPUTE_FAILED: ComputeError,
}

/**
 * Rebuilds a runtime error from its wire form as an instance of its class (message and details
 * kept as sent); unknown codes become a plain ClusterError with that code.
 */
export function runtimeErrorFromWire(wire: WireError): ClusterError {
  const Cls = BY_CODE[wire.code]
  if (Cls === undefined) return fromWireError(wire)
  // Built without the constructor (whose message templates need the original arguments), so the
  // message and details are exactly what was sent.
  const err = Object.create(Cls.prototype) as ClusterError
  const base = fromWireError(wire)
  for (const key of ['message', 'code', 'details', 'name', 'stack'] as const) {
    Object.defineProperty(err, key, { value: key === 'name' ? Cls.name : key === 'stack' ? `${Cls.name}: ${wire.message}` : base[key], configurable: true, writable: true, enumerable: key === 'code' || key === 'details' })
  }
  return err
}

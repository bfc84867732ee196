/**
 * Coalesced delivery (opt-in per definition, `coalesce: { types, into, max }`): when one delivery
 * (a link batch in the worker placement, one drain of the inline ring) holds several consecutive
 * accepted messages of `types`, the host hands the machine ONE event built by `into(messages)`
 * instead of one event per message. An XState transition costs ~1.6 us per event on this machine
 * and a burst of one-record messages spends most of its CPU (and its young GCs) there; one event
 * per run takes that cost once.
 *
 * What stays as it was: messages of other types and asks (a `replyTo`) are never merged and end a
 * run, so the machine sees every message in the order received; the host's counts stay per
 * message; a run never spans two deliveries, so checkpoints, persistence, timers and inspection
 * see whole turns. A throwing `into` (or one returning no event) crashes that actor with
 * ERR_ACTOR_COALESCE_FAILED, like any machine error: supervised, never the host's crash.
 */
import { ClusterError } from '../errors/cluster-error.ts'
import { InvalidConfigError } from '../errors/cluster-error.ts'
import type { Message } from '../types/actor-env.ts'
import { checkInt, checkString } from '../config/values.ts'
import { knownFieldsOnly } from '../config/fields.ts'

export interface CoalesceOptions {
  /** Message types merged into one event (each must be accepted by the actor). */
  readonly types: readonly string[]
  /**
   * Pure: builds the one event from a run of 2..max messages of `types`, in the order received.
   * (Method syntax: an `into` typed for exactly those messages is accepted.)
   */
  into(messages: readonly Message[]): Message
  /** Most messages in one run (a longer run is split); default 1024, 2..65536. */
  max?: number
}

export const DEFAULT_COALESCE_MAX = 1024
const FIELDS = ['types', 'into', 'max'] as const

/**
 * Checks a definition's `coalesce` (at defineActor): `types` a non-empty list of accepted message
 * types, `into` a function, `max` an integer 2..65536. Throws InvalidConfigError naming
 * `coalesce.<field>`; returns the options with `max` filled in.
 */
export function validateCoalesceOptions(coalesce: unknown, accepts: readonly string[] | undefined): Required<CoalesceOptions> {
  const o = knownFieldsOnly('coalesce', coalesce, FIELDS) as Record<string, unknown>
  const types = o['types']
  if (!Array.isArray(types) || types.length === 0) throw new InvalidConfigError('coalesce.types', 'must be a non-empty list of message types', { got: types })
  types.forEach((t, i) => {
    checkString(`coalesce.types[${i}]`, t, { nonEmpty: true })
    if (accepts !== undefined && !accepts.includes(t)) throw new InvalidConfigError(`coalesce.types[${i}]`, `"${t}" is not in the actor's accepts list`, { got: t })
  })
  if (typeof o['into'] !== 'function') throw new InvalidConfigError('coalesce.into', 'must be a function of the messages', { got: typeof o['into'] })
  if (o['max'] !== undefined) checkInt('coalesce.max', o['max'], 2, 65536)
  return { types: Object.freeze([...types]) as string[], into: o['into'] as CoalesceOptions['into'], max: (o['max'] as number | undefined) ?? DEFAULT_COALESCE_MAX }
}

/** `into` threw, or returned something that is not an event: the actor crashes with this. */
export class CoalesceFailedError extends ClusterError {
  static override name = 'CoalesceFailedError'
  constructor(actor: string, count: number, why: string, options: { cause?: unknown } = {}) {
    super('ERR_ACTOR_COALESCE_FAILED', `actor "${actor}" could not coalesce ${count} messages into one event: ${why}`, { ...options, details: { actor, count } })
  }
}

/**
 * The run being collected during one delivery. `offer` says whether the message joined the run
 * (the host then counts it and is done); `take` empties the run and returns the event to send, or
 * a CoalesceFailedError. A run of one is handed over as the message itself.
 */
export class CoalesceRun {
  readonly #types: ReadonlySet<string>
  readonly #into: (messages: readonly Message[]) => unknown
  readonly #max: number
  readonly #actor: string
  #run: Message[] = []

  constructor(actor: string, options: Required<CoalesceOptions>) {
    this.#actor = actor
    this.#types = new Set(options.types)
    this.#into = options.into as (messages: readonly Message[]) => unknown
    this.#max = options.max
  }

  /** Whether `msg` may join a run (its type is listed and it is not an ask). */
  accepts(msg: Message): boolean {
    // An ask carries a reply token object (the same test as mailbox-policy's requestOf, not imported
    // from there: it would close an import cycle through frames.ts and define-actor.ts).
    const token = (msg as { replyTo?: unknown }).replyTo
    return this.#types.has(msg.type) && (token === null || typeof token !== 'object')
  }

  get length(): number {
    return this.#run.length
  }

  get full(): boolean {
    return this.#run.length >= this.#max
  }

  push(msg: Message): void {
    this.#run.push(msg)
  }

  /** Empties the run and returns its messages as they are (no event built). */
  takeMessages(): Message[] {
    const run = this.#run
    this.#run = []
    return run
  }

  /** Empties the run: the one event to send (undefined when empty), or the error `into` caused. */
  take(): { event: Message } | { error: CoalesceFailedError } | undefined {
    const run = this.#run
    if (run.length === 0) return undefined
    this.#run = []
    if (run.length === 1) return { event: run[0]! }
    let event: unknown
    try {
      event = this.#into(run)
    } catch (err) {
      return { error: new CoalesceFailedError(this.#actor, run.length, err instanceof Error ? err.message : String(err), { cause: err }) }
    }
    if (event === null || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') {
      return { error: new CoalesceFailedError(this.#actor, run.length, 'into did not return an event (an object with a string type)') }
    }
    return { event: event as Message }
  }
}

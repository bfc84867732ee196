import { formatValue } from './format-value.ts'

/**
 * ClusterError is the base of every error Gossamer throws. A class does not survive a trip across a
 * thread or the network, but its `code` does: callers match on `code`, and `toWireError` /
 * `fromWireError` carry errors across boundaries as plain `{ code, message }` objects.
 */
export class ClusterError extends Error {
  static override name = 'ClusterError'
  /** Stable, documented identifier, e.g. `ERR_ACTOR_UNKNOWN`. Never reworded once published. */
  readonly code: string
  /** Optional structured facts about the failure (actor id, counts, field names). */
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.details = options.details
  }
}

/** The shape in which an error crosses a thread or a process. */
export interface WireError {
  code: string
  message: string
  details?: Record<string, unknown>
}

/**
 * Thrown when a config value is missing, out of range, of the wrong type, unknown, or inconsistent
 * with another. The message is `<field> <rule>`, plus ` (got <value>)` when `got` is given, the value
 * shown with its type (formatValue: "10" for a string, 10 for a number). `details.field` names the
 * field, e.g. `swim.join[2]`.
 */
export class InvalidConfigError extends ClusterError {
  static override name = 'InvalidConfigError'
  constructor(field: string, rule: string, options: { cause?: unknown; got?: unknown } = {}) {
    const got = 'got' in options ? ` (got ${formatValue(options.got)})` : ''
    super('ERR_INVALID_CONFIG', `${field} ${rule}${got}`, { ...(options.cause === undefined ? {} : { cause: options.cause }), details: { field } })
  }
}

/** Reduces any thrown value to its wire form; non-ClusterErrors become `ERR_INTERNAL`. */
export function toWireError(err: unknown): WireError {
  if (err instanceof ClusterError) {
    return err.details === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, details: { ...err.details } }
  }
  if (isWireError(err)) return { code: err.code, message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'ERR_INTERNAL', message }
}

/** Rebuilds a ClusterError from its wire form (the class is generic; `code` carries the meaning). */
export function fromWireError(wire: WireError): ClusterError {
  return new ClusterError(wire.code, wire.message, wire.details === undefined ? {} : { details: wire.details })
}

export function isWireError(value: unknown): value is WireError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as WireError).code === 'string' &&
    typeof (value as WireError).message === 'string'
  )
}

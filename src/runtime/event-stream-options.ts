/**
 * The options of one event stream (`ref.events(types, options)`): the types to deliver, the
 * buffer's bound and the abort signal, checked where they are created.
 */
import { InvalidConfigError } from '../errors/cluster-error.ts'
import { knownFieldsOnly } from '../config/fields.ts'
import { checkInt, checkString } from '../config/values.ts'

/**
 * Default bound of one `ref.events(...)` buffer: a consumer may fall 1024 events behind (a
 * member-event burst of a large join) before the oldest are dropped and counted; at a few hundred
 * bytes an event, a few hundred KiB per slow iterator.
 */
export const DEFAULT_EVENT_BUFFER = 1024

/** The checked options of one event stream (`ref.events(types, options)`). */
export interface EventStreamConfig {
  /** The types to deliver; `['*']` for every type. */
  types: string[]
  bufferSize: number
  signal: AbortSignal | undefined
}

/**
 * Checks `ref.events`'s arguments: types a non-empty string or a list of them (default every type),
 * `bufferSize` an integer in [1, 2^20] (default DEFAULT_EVENT_BUFFER), `signal` an AbortSignal.
 * Throws InvalidConfigError naming `events.types`, `events.bufferSize` or `events.signal`.
 */
export function createEventStreamConfig(types: unknown, options: unknown = {}): EventStreamConfig {
  const o = knownFieldsOnly('events', options ?? {}, ['signal', 'bufferSize']) as { signal?: unknown; bufferSize?: unknown }
  let list: string[]
  if (types === undefined) list = ['*']
  else if (typeof types === 'string') list = [types]
  else if (Array.isArray(types)) list = [...types]
  else throw new InvalidConfigError('events.types', 'must be an event type or a list of them', { got: types })
  list.forEach((t, i) => checkString(`events.types[${i}]`, t, { nonEmpty: true }))
  if (list.length === 0) throw new InvalidConfigError('events.types', 'must name at least one event type (or leave it out for all)', { got: types })
  // Past 2^20 events one slow consumer holds hundreds of MiB: a typo, not a buffer.
  if (o.bufferSize !== undefined) checkInt('events.bufferSize', o.bufferSize, 1, 1 << 20)
  const bufferSize = o.bufferSize ?? DEFAULT_EVENT_BUFFER
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new InvalidConfigError('events.signal', 'must be an AbortSignal', { got: o.signal })
  return { types: list, bufferSize, signal: o.signal as AbortSignal | undefined }
}

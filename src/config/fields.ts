/**
 * The shape of a config object, checked the same way by every config in the project (swim,
 * gossip-queue, member-manager, snapshotter, the runtime's options): it must be a plain object, and
 * every key must be a known field. A misspelled field is an error naming it, with the nearest known
 * name when there is one ("swim.probeIntervall is not a known field; did you mean
 * probeIntervalMs?"), never silently ignored while the default runs.
 */
import { InvalidConfigError } from '../errors/cluster-error.ts'
import { closestName } from './suggest.ts'

/**
 * `value` as a config object: undefined is `{}` (all defaults); anything but a plain object (a
 * string, a number, null, an array, a Map, a class instance) is an InvalidConfigError naming
 * `section`. Objects from another realm or made with Object.create(null) are plain too.
 */
export function configObject(section: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {}
  if (!isPlainObject(value)) throw new InvalidConfigError(section, 'must be an object of config fields', { got: value })
  return value
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as object | null
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null
}

/**
 * Throws InvalidConfigError for the first key of `given` that is not in `known`, naming
 * `<section>.<key>` and suggesting the nearest known field, or listing them all when none is near.
 * A key whose value is undefined counts too: it is still a misspelling.
 */
export function rejectUnknownFields(section: string, given: object, known: ReadonlySet<string> | readonly string[]): void {
  const names = known instanceof Set ? known : new Set(known as readonly string[])
  for (const key of Object.keys(given)) {
    if (names.has(key)) continue
    const near = closestName(key, names)
    const field = /^[A-Za-z_$][\w$]*$/.test(key) ? `${section}.${key}` : `${section}[${JSON.stringify(key)}]`
    throw new InvalidConfigError(
      field,
      near === undefined ? `is not a known field (known: ${[...names].join(', ')})` : `is not a known field; did you mean ${near}?`,
    )
  }
}

/** configObject and rejectUnknownFields in one call: the checked object. */
export function knownFieldsOnly(section: string, value: unknown, known: ReadonlySet<string> | readonly string[]): Record<string, unknown> {
  const given = configObject(section, value)
  rejectUnknownFields(section, given, known)
  return given
}

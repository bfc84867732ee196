/**
 * Checks of single config values, shared by every config so the rules and messages read the same
 * everywhere: each throws InvalidConfigError naming the field and showing the value received with
 * its type (`(got "10")` for a string, `(got NaN)`, `(got -1)`).
 */
import { InvalidConfigError } from '../errors/cluster-error.ts'

/**
 * Longest delay a Node timer honours, in ms (2^31 − 1, about 24.8 days): setTimeout turns anything
 * longer into 1 ms, so a duration used as a timer must not exceed it.
 */
export const TIMER_MAX_MS = 2_147_483_647

/** An integer in [min, max]; `unit` (e.g. "ms", "bytes") is added to the rule. */
export function checkInt(field: string, value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER, unit?: string): asserts value is number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return
  throw new InvalidConfigError(field, `must be ${rangeText('an integer', min, max, false)}${unit === undefined ? '' : ` (${unit})`}`, { got: value })
}

export interface NumberRange {
  min?: number
  max?: number
  /** `min` itself is refused (a number > min). */
  exclusiveMin?: boolean
  unit?: string
}

/** A finite number within the range. */
export function checkNumber(field: string, value: unknown, range: NumberRange = {}): asserts value is number {
  const min = range.min ?? -Number.MAX_VALUE
  const max = range.max ?? Number.MAX_VALUE
  const aboveMin = typeof value === 'number' && (range.exclusiveMin === true ? value > min : value >= min)
  if (typeof value === 'number' && Number.isFinite(value) && aboveMin && value <= max) return
  const rule = rangeText('a finite number', range.min ?? -Infinity, range.max ?? Infinity, range.exclusiveMin === true)
  throw new InvalidConfigError(field, `must be ${rule}${range.unit === undefined ? '' : ` (${range.unit})`}`, { got: value })
}

export function checkBoolean(field: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new InvalidConfigError(field, 'must be true or false', { got: value })
}

/** One of the listed strings. */
export function checkOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return
  throw new InvalidConfigError(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, { got: value })
}

export function checkString(field: string, value: unknown, options: { nonEmpty?: boolean } = {}): asserts value is string {
  if (typeof value === 'string' && (options.nonEmpty !== true || value.length > 0)) return
  throw new InvalidConfigError(field, options.nonEmpty === true ? 'must be a non-empty string' : 'must be a string', { got: value })
}

/** "a positive integer", "an integer in [1, 64]", "a finite number > 0", ... */
function rangeText(what: string, min: number, max: number, exclusiveMin: boolean): string {
  const noMax = max >= Number.MAX_SAFE_INTEGER
  const noMin = min <= -Number.MAX_SAFE_INTEGER
  if (what === 'an integer' && noMax && min === 1) return 'a positive integer'
  if (what === 'an integer' && noMax && min === 0) return 'a non-negative integer'
  if (noMin && noMax) return what
  if (noMax) return `${what} ${exclusiveMin ? '>' : '>='} ${min}`
  if (noMin) return `${what} <= ${max}`
  return exclusiveMin ? `${what} in (${min}, ${max}]` : `${what} in [${min}, ${max}]`
}

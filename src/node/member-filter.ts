/**
 * `members(filter)` with Serf's `members-filtered` rules (serf-rpc.md §3): every pattern is Go RE2
 * (re2js, so `(?i)`, `\pL` and friends mean what they mean to Serf) anchored by text concatenation
 * `^` + expr + `$` (so `a|b` is only half anchored, as in Serf); a missing tag tests as ""; an
 * empty status or name pattern does not filter; all conditions must hold. A pattern that does not
 * compile is ERR_INVALID_MEMBER_FILTER naming the field, before any member is read.
 */
import { re2js, type RE2JS } from '../types/lazy-re2.ts'
import { ClusterError } from '../errors/index.ts'
import type { Member, MemberFilter } from './api.ts'

export class InvalidMemberFilterError extends ClusterError {
  static override name = 'InvalidMemberFilterError'
  constructor(field: string, expr: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super('ERR_INVALID_MEMBER_FILTER', `Failed to compile regex: ${field} ${JSON.stringify(expr)}: ${why}`, { cause, details: { field, expr } })
  }
}

export type MemberPredicate = (m: Member) => boolean

function anchored(field: string, expr: unknown): (s: string) => boolean {
  if (typeof expr !== 'string') throw new InvalidMemberFilterError(field, String(expr), new Error('must be a string'))
  let re: RE2JS
  try {
    re = re2js().compile(`^${expr}$`)
  } catch (err) {
    throw new InvalidMemberFilterError(field, expr, err)
  }
  // matches() tests the whole input; find() searches, as Go's MatchString does with the text's own anchors.
  return (s) => re.matcher(s).find()
}

/** Compiles a filter once; throws InvalidMemberFilterError on the first pattern that does not compile. */
export function compileMemberFilter(filter: MemberFilter | undefined): MemberPredicate {
  if (filter === undefined) return () => true
  const tests: MemberPredicate[] = []
  for (const [tag, expr] of Object.entries(filter.tags ?? {})) {
    const test = anchored(`tags.${tag}`, expr)
    tests.push((m) => test(Object.hasOwn(m.tags, tag) ? m.tags[tag]! : ''))
  }
  if (filter.status !== undefined && filter.status !== '') {
    const test = anchored('status', filter.status)
    tests.push((m) => test(m.status))
  }
  if (filter.name !== undefined && filter.name !== '') {
    const test = anchored('name', filter.name)
    tests.push((m) => test(m.name))
  }
  return (m) => tests.every((t) => t(m))
}

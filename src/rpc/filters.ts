/**
 * The two filter languages of the RPC:
 * - `members-filtered` (serf-rpc.md §3): Go RE2 patterns anchored by text concatenation
 *   (`^` + expr + `$`, so `a|b` is only half anchored), a missing tag tests as "", an empty status
 *   or name pattern does not filter, all conditions must hold.
 * - the `stream` event filter (§4.1): a comma list of event names, `*`, `user:NAME`, `query:NAME`.
 * RE2 semantics come from re2js (Go's regexp syntax), not JS RegExp.
 */
import { re2js, type RE2JS } from '../types/lazy-re2.ts'
import type { Member, NodeEvent } from '../node/api.ts'

export interface MemberPatterns {
  tags: Readonly<Record<string, string>>
  status: string
  name: string
}

/** A compiled members-filtered request; `compileMemberFilter` throws the RE2 syntax error. */
export interface MemberMatcher {
  (member: Member): boolean
}

export function compileMemberFilter(patterns: MemberPatterns): MemberMatcher {
  const anchored = (expr: string): RE2JS => re2js().compile(`^${expr}$`)
  const tags = Object.entries(patterns.tags).map(([k, expr]) => [k, anchored(expr)] as const)
  const status = patterns.status === '' ? null : anchored(patterns.status)
  const name = patterns.name === '' ? null : anchored(patterns.name)
  return (m) => {
    for (const [k, re] of tags) if (!re.matcher(m.tags[k] ?? '').find()) return false
    if (status !== null && !status.matcher(m.status).find()) return false
    if (name !== null && !name.matcher(m.name).find()) return false
    return true
  }
}

const MEMBER_EVENTS = new Set(['member-join', 'member-leave', 'member-failed', 'member-update', 'member-reap'])

/** One parsed item of an event filter: an event type (or `*`), and for user/query an optional name. */
export interface EventFilterItem {
  event: string
  name: string
}

/** Parses Serf's event filter; undefined when any item is not in the grammar ("Invalid event filter"). */
export function parseEventFilter(spec: string): EventFilterItem[] | undefined {
  const items: EventFilterItem[] = []
  for (const raw of (spec === '' ? '*' : spec).split(',')) {
    if (raw.startsWith('user:')) items.push({ event: 'user', name: raw.slice(5) })
    else if (raw.startsWith('query:')) items.push({ event: 'query', name: raw.slice(6) })
    else if (raw === '*' || raw === 'user' || raw === 'query' || MEMBER_EVENTS.has(raw)) items.push({ event: raw, name: '' })
    else return undefined
  }
  return items
}

/** Whether an event passes a parsed filter (any item matching is enough). */
export function eventMatches(items: readonly EventFilterItem[], event: NodeEvent): boolean {
  for (const item of items) {
    if (item.event === '*') return true
    if (item.event !== event.type) continue
    if (event.type === 'user' || event.type === 'query') {
      if (item.name === '' || item.name === event.name) return true
    } else return true
  }
  return false
}

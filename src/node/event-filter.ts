/**
 * Serf's stream filter grammar (serf-rpc.md §4.1): a comma-separated list of `member-join`,
 * `member-leave`, `member-failed`, `member-update`, `member-reap`, `user`, `query`, `*`,
 * `user:NAME` or `query:NAME` (exact name; an empty NAME matches every event of the kind). `""`
 * means `*`. Any other item refuses the whole filter (ERR_INVALID_EVENT_FILTER, Serf's text
 * `Invalid event filter`). An event passes when any item matches it.
 */
import { ClusterError } from '../errors/index.ts'
import type { NodeEvent } from './api.ts'

export class InvalidEventFilterError extends ClusterError {
  static override name = 'InvalidEventFilterError'
  constructor(filter: string, item: string) {
    super('ERR_INVALID_EVENT_FILTER', 'Invalid event filter', { details: { filter, item } })
  }
}

const KINDS = new Set(['member-join', 'member-leave', 'member-failed', 'member-update', 'member-reap', 'user', 'query', '*'])

/** One item: an event kind, or `user` / `query` with a name (undefined: any name). */
interface FilterItem {
  kind: string
  name: string | undefined
}

export type EventPredicate = (event: NodeEvent) => boolean

/** Parses `filter` into a predicate; throws InvalidEventFilterError on a bad item. */
export function compileEventFilter(filter: string | undefined): EventPredicate {
  const text = filter ?? ''
  if (typeof text !== 'string') throw new InvalidEventFilterError(String(text), String(text))
  if (text === '') return () => true
  const items: FilterItem[] = []
  for (const raw of text.split(',')) {
    // Serf splits on "," and keeps the text as it is: " user" is not an event type.
    const colon = raw.indexOf(':')
    if (colon >= 0) {
      const kind = raw.slice(0, colon)
      if (kind !== 'user' && kind !== 'query') throw new InvalidEventFilterError(text, raw)
      const name = raw.slice(colon + 1)
      items.push({ kind, name: name === '' ? undefined : name })
    } else {
      if (!KINDS.has(raw)) throw new InvalidEventFilterError(text, raw)
      items.push({ kind: raw, name: undefined })
    }
  }
  return (event) => items.some((i) => matches(i, event))
}

function matches(item: FilterItem, event: NodeEvent): boolean {
  if (item.kind === '*') return true
  if (item.kind !== event.type) return false
  if (item.name === undefined) return true
  return event.type === 'user' || event.type === 'query' ? event.name === item.name : false
}

/**
 * Query filters (spec §5.9): a node filter (our name must be in the list) and tag filters (Go's
 * `regexp.MatchString(Expr, tags[Tag])`, unanchored; a missing tag is ""), all of which must pass.
 *
 * - From the caller: every expression must compile as Go compiles it (tag-regexp.ts, on re2js)
 *   or the query is refused with ERR_QUERY_BAD_FILTER naming the tag; nothing is sent.
 * - From a peer: a filter we cannot evaluate (unknown type, an expression Go refuses, or one over
 *   our length cap) means "don't process", as Go does for the first two; the verdict says why so
 *   the caller counts it. The query is still rebroadcast.
 */
import type { QueryFilter } from '../../src/wire/serf.ts'
import { SerfEventsError } from './errors.ts'
import { checkTagRegexp, matchTagRegexp } from './tag-regexp.ts'
import type { TagRegexpRefusal } from './tag-regexp.ts'

export interface FilterParams {
  /** Only these nodes process the query (empty or missing: no node filter). */
  nodes?: readonly string[]
  /** Tag name → Go regular expression the tag's value must match (unanchored). */
  tags?: Readonly<Record<string, string>>
}

export type BuildFiltersResult = { ok: true; filters: QueryFilter[] | null } | { ok: false; error: SerfEventsError }

/**
 * Serf encodeFilters: the node filter first (when non-empty), then one tag filter per entry (Go
 * iterates its map at random; we keep insertion order). No filters → null (msgpack nil on the wire).
 */
export function buildQueryFilters(params: FilterParams, maxExprLength: number): BuildFiltersResult {
  const filters: QueryFilter[] = []
  if (params.nodes !== undefined) {
    if (!Array.isArray(params.nodes) || params.nodes.some((n) => typeof n !== 'string')) return bad('filter nodes must be an array of strings', {})
    if (params.nodes.length > 0) filters.push({ type: 'node', Nodes: [...params.nodes] })
  }
  if (params.tags !== undefined) {
    if (typeof params.tags !== 'object' || params.tags === null) return bad('filter tags must be an object of tag → expression', {})
    for (const [tag, expr] of Object.entries(params.tags)) {
      if (typeof expr !== 'string') return bad(`filter for tag "${tag}" must be a string expression`, { tag })
      const c = checkTagRegexp(expr, maxExprLength)
      if (!c.ok) return bad(`filter for tag "${tag}" refused (${c.reason}): ${c.message}`, { tag, expr, reason: c.reason })
      filters.push({ type: 'tag', Tag: tag, Expr: expr })
    }
  }
  return { ok: true, filters: filters.length === 0 ? null : filters }
}

function bad(message: string, details: Record<string, unknown>): BuildFiltersResult {
  return { ok: false, error: new SerfEventsError('ERR_QUERY_BAD_FILTER', message, details) }
}

export type FilterVerdict =
  | { process: true }
  | { process: false; reason: 'node-mismatch' | 'tag-mismatch' | 'unknown-filter' }
  | { process: false; reason: 'bad-regex'; refusal: TagRegexpRefusal }

/** Serf shouldProcessQuery for this node. The first failing filter decides. */
export function evaluateFilters(filters: readonly QueryFilter[] | null, self: { name: string; tags: Readonly<Record<string, string>> }, maxExprLength: number): FilterVerdict {
  for (const f of filters ?? []) {
    if (f.type === 'unknown') return { process: false, reason: 'unknown-filter' }
    if (f.type === 'node') {
      if (!f.Nodes.includes(self.name)) return { process: false, reason: 'node-mismatch' }
      continue
    }
    const value = Object.prototype.hasOwnProperty.call(self.tags, f.Tag) ? self.tags[f.Tag]! : ''
    const m = matchTagRegexp(f.Expr, value, maxExprLength)
    if (!m.ok) return { process: false, reason: 'bad-regex', refusal: m.reason }
    if (!m.match) return { process: false, reason: 'tag-mismatch' }
  }
  return { process: true }
}

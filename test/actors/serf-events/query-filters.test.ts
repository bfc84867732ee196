import { describe, expect, it } from 'vitest'
import { buildQueryFilters, evaluateFilters } from '../../../actors/serf-events/query-filters.ts'
import type { QueryFilter } from '../../../src/wire/serf.ts'

const self = { name: 'web-1', tags: { role: 'web', dc: 'east-2' } }

describe('query-filters', () => {
  it('builds the node filter first, then one tag filter per entry; none at all is null', () => {
    expect(buildQueryFilters({}, 256)).toEqual({ ok: true, filters: null })
    expect(buildQueryFilters({ nodes: [], tags: {} }, 256)).toEqual({ ok: true, filters: null })
    expect(buildQueryFilters({ tags: { role: '^web$' }, nodes: ['a', 'b'] }, 256)).toEqual({
      ok: true,
      filters: [
        { type: 'node', Nodes: ['a', 'b'] },
        { type: 'tag', Tag: 'role', Expr: '^web$' },
      ],
    })
  })

  it.each([
    { params: { tags: { role: '(a)\\1' } }, detail: { tag: 'role', reason: 'invalid' } },
    { params: { tags: { role: '(?=web)' } }, detail: { tag: 'role', reason: 'invalid' } },
    { params: { tags: { dc: 'east', role: 'web\ud800' } }, detail: { tag: 'role', reason: 'invalid' } },
    { params: { tags: { role: 'x'.repeat(300) } }, detail: { tag: 'role', reason: 'too-long' } },
    { params: { tags: { role: 5 } }, detail: { tag: 'role' } },
    { params: { nodes: 'web-1' }, detail: {} },
  ])('refuses a bad caller filter $params with ERR_QUERY_BAD_FILTER', ({ params, detail }) => {
    const r = buildQueryFilters(params as never, 256)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('ERR_QUERY_BAD_FILTER')
    expect(r.error.details).toMatchObject(detail)
  })

  it("names the tag and carries Go's parse error in the message", () => {
    const r = buildQueryFilters({ tags: { role: '(a)\\1' } }, 256)
    expect(r.ok ? null : r.error.message).toBe('filter for tag "role" refused (invalid): error parsing regexp: invalid escape sequence: `\\1`')
  })

  // Valid Go, which the old backtracking screen (or hand translation) refused; a real Serf agent sends and answers these.
  it.each(['.*web.*', '(a|b)+', '(a*)*b', '.*.*.*x', '\\pL', '(?i:web)', '(?U)a+', '\\x{1F600}', '[[:^alpha:]]'])('builds a filter from the valid Go expression %j', (expr) => {
    expect(buildQueryFilters({ tags: { role: expr } }, 256)).toEqual({ ok: true, filters: [{ type: 'tag', Tag: 'role', Expr: expr }] })
  })

  const cases: { name: string; filters: QueryFilter[] | null; want: object }[] = [
    { name: 'no filters', filters: null, want: { process: true } },
    { name: 'our name listed', filters: [{ type: 'node', Nodes: ['db-1', 'web-1'] }], want: { process: true } },
    { name: 'our name not listed', filters: [{ type: 'node', Nodes: ['db-1'] }], want: { process: false, reason: 'node-mismatch' } },
    { name: 'tag matches unanchored', filters: [{ type: 'tag', Tag: 'dc', Expr: 'east' }], want: { process: true } },
    { name: 'tag does not match', filters: [{ type: 'tag', Tag: 'role', Expr: '^db' }], want: { process: false, reason: 'tag-mismatch' } },
    { name: 'a missing tag is the empty string', filters: [{ type: 'tag', Tag: 'zone', Expr: '^$' }], want: { process: true } },
    { name: 'a missing tag fails a non-empty match', filters: [{ type: 'tag', Tag: 'zone', Expr: 'a' }], want: { process: false, reason: 'tag-mismatch' } },
    { name: 'an inherited property is not a tag', filters: [{ type: 'tag', Tag: 'constructor', Expr: 'Function' }], want: { process: false, reason: 'tag-mismatch' } },
    { name: 'all filters must pass (AND)', filters: [{ type: 'node', Nodes: ['web-1'] }, { type: 'tag', Tag: 'role', Expr: 'db' }], want: { process: false, reason: 'tag-mismatch' } },
    { name: 'a regex Go refuses from a peer: not processed', filters: [{ type: 'tag', Tag: 'role', Expr: '(?=w)' }], want: { process: false, reason: 'bad-regex', refusal: 'invalid' } },
    { name: 'a backreference from a peer (RE2 refuses): not processed', filters: [{ type: 'tag', Tag: 'role', Expr: '(w)\\1' }], want: { process: false, reason: 'bad-regex', refusal: 'invalid' } },
    { name: 'a regex over our length cap from a peer: not processed', filters: [{ type: 'tag', Tag: 'role', Expr: 'w'.repeat(257) }], want: { process: false, reason: 'bad-regex', refusal: 'too-long' } },
    { name: 'a nested quantifier from a peer is valid Go and matches', filters: [{ type: 'tag', Tag: 'role', Expr: '(w+)+' }], want: { process: true } },
    { name: '.*foo.* from a peer matches', filters: [{ type: 'tag', Tag: 'dc', Expr: '.*st-.*' }], want: { process: true } },
    { name: '(a|b)+ from a peer, no match', filters: [{ type: 'tag', Tag: 'role', Expr: '^(a|b)+$' }], want: { process: false, reason: 'tag-mismatch' } },
    { name: 'an empty expression matches a missing tag', filters: [{ type: 'tag', Tag: 'zone', Expr: '' }], want: { process: true } },
    { name: 'an unknown filter type', filters: [{ type: 'unknown', Raw: Uint8Array.of(7) }], want: { process: false, reason: 'unknown-filter' } },
  ]
  it.each(cases)('evaluates: $name', ({ filters, want }) => {
    expect(evaluateFilters(filters, self, 256)).toEqual(want)
  })
})

/**
 * The filters of the node's reads: Serf's `members-filtered` rules (RE2, anchored by text
 * concatenation, a missing tag as "") and Serf's stream filter grammar.
 */
import { describe, expect, it } from 'vitest'
import { compileMemberFilter } from '../../src/node/member-filter.ts'
import { compileEventFilter } from '../../src/node/event-filter.ts'
import type { Member, NodeEvent } from '../../src/node/api.ts'

function member(name: string, status: Member['status'], tags: Record<string, string>): Member {
  return { name, addr: Uint8Array.of(127, 0, 0, 1), port: 7946, tags, status, protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 5 }
}

const members = [member('web-1', 'alive', { role: 'web', dc: 'east' }), member('web-2', 'failed', { role: 'web' }), member('db-1', 'alive', { role: 'db' })]
const names = (f: Parameters<typeof compileMemberFilter>[0]) => members.filter(compileMemberFilter(f)).map((m) => m.name)

describe('members filter', () => {
  it('anchors each pattern as ^expr$ and needs every condition', () => {
    expect(names({ name: 'web' })).toEqual([])
    expect(names({ name: 'web-.' })).toEqual(['web-1', 'web-2'])
    expect(names({ status: 'alive', tags: { role: 'web' } })).toEqual(['web-1'])
    expect(names({ status: '', name: '' })).toEqual(['web-1', 'web-2', 'db-1'])
    expect(names(undefined)).toHaveLength(3)
  })

  it('anchors by text concatenation, so a|b is only half anchored (as Serf)', () => {
    // ^web-1|db$: "web-1" from the start, or anything ending in "db".
    expect(names({ name: 'web-1|db' })).toEqual(['web-1'])
    expect(names({ name: 'web-1|1' })).toEqual(['web-1', 'db-1'])
  })

  it('tests a missing tag as "" (so {dc: ""} matches members without dc)', () => {
    expect(names({ tags: { dc: '' } })).toEqual(['web-2', 'db-1'])
    expect(names({ tags: { dc: 'east|' } })).toEqual(['web-1', 'web-2', 'db-1'])
  })

  it('speaks RE2 (Go syntax: (?i), \\pL)', () => {
    expect(names({ name: '(?i)WEB-\\d' })).toEqual(['web-1', 'web-2'])
    expect(names({ tags: { role: '\\pL+' } })).toEqual(['web-1', 'web-2', 'db-1'])
  })

  it('refuses a pattern that does not compile with ERR_INVALID_MEMBER_FILTER naming the field', () => {
    expect(() => compileMemberFilter({ tags: { role: '(' } })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_MEMBER_FILTER', details: { field: 'tags.role', expr: '(' } }))
    // Backreferences are not RE2 (JavaScript would take them).
    expect(() => compileMemberFilter({ name: '(a)\\1' })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_MEMBER_FILTER' }))
  })
})

const join: NodeEvent = { type: 'member-join', members: [] }
const deploy: NodeEvent = { type: 'user', ltime: 1n, name: 'deploy', payload: null, coalesce: false }
const load: NodeEvent = { type: 'query', ltime: 1n, id: 1, name: 'load', payload: null, sourceNode: 'a', deadline: 0, key: 'k' }

describe('event filter', () => {
  it('takes Serf\'s items, "" and * as everything', () => {
    for (const f of ['', '*', undefined]) expect([join, deploy, load].every(compileEventFilter(f))).toBe(true)
    const f = compileEventFilter('member-join,user:deploy')
    expect([join, deploy, load].map(f)).toEqual([true, true, false])
    expect([join, deploy, load].map(compileEventFilter('user:other,query:load'))).toEqual([false, false, true])
    expect([join, deploy, load].map(compileEventFilter('user:,query'))).toEqual([false, true, true])
    expect([join, deploy, load].map(compileEventFilter('member-leave'))).toEqual([false, false, false])
  })

  it.each(['member-foo', 'user,', ' user', 'member-join:x', 'USER', 'foo:bar'])('refuses %j with ERR_INVALID_EVENT_FILTER', (f) => {
    expect(() => compileEventFilter(f)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_EVENT_FILTER', message: 'Invalid event filter' }))
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { closeQuery, createOriginator, openQueryTimerId, originateQuery, receiveQueryResponse } from '../../../actors/serf-events/query-originator.ts'
import type { OriginatorContext, OriginatorState } from '../../../actors/serf-events/query-originator.ts'
import { createResponder } from '../../../actors/serf-events/query-responder.ts'
import { ceilLog10, defaultQueryTimeoutMs } from '../../../actors/serf-events/query-timeout.ts'
import { decodeSerfMessage, QueryFlag } from '../../../src/wire/serf.ts'
import type { SerfQuery, SerfQueryResponse } from '../../../src/wire/serf.ts'
import { config, emitted, member, ofType, rng } from './support.ts'

const members = [member('me', 1), member('a', 2), member('b', 3)]
const ctx = (over: Partial<OriginatorContext> = {}): OriginatorContext => ({
  nowMs: 10_000,
  self: { name: 'me', tags: { role: 'web' }, addr: Uint8Array.of(10, 0, 0, 1), port: 7946 },
  numMembers: 3,
  members,
  random: rng(2),
  config: config({ protocolVersion: 5 }),
  ...over,
})
const responder = () => createResponder({ size: 512, clock: 5n, minTime: 0n })
const resp = (q: { ltime: bigint; id: number }, From: string, ack: boolean, Payload: Uint8Array | null = null): SerfQueryResponse => ({ type: 'queryResponse', LTime: q.ltime, ID: q.id, From, Flags: ack ? QueryFlag.ack : 0, Payload })

function started(req = { name: 'load', requestAck: true }, c = ctx()) {
  const r = originateQuery(createOriginator(), responder(), req, c)
  if (!r.ok) throw r.error
  return r
}

describe('query timeout', () => {
  it.each([
    [1, 3200],
    [9, 3200],
    [10, 6400],
    [99, 6400],
    [100, 9600],
    [999, 9600],
    [1000, 12_800],
  ])('N = %i members: GossipInterval 200 ms × 16 × ceil(log10(N+1)) = %i ms', (n, ms) => {
    expect(defaultQueryTimeoutMs(200, 16, n)).toBe(ms)
  })
  it('ceilLog10 agrees with the float formula away from powers of ten, and gives k at 10^k', () => {
    for (let m = 1; m < 5000; m++) if (![1, 10, 100, 1000].includes(m)) expect(ceilLog10(m)).toBe(Math.ceil(Math.log10(m)))
    expect([1, 10, 100, 1000].map(ceilLog10)).toEqual([0, 1, 2, 3])
  })
})

describe('query-originator', () => {
  it('stamps LTime = query clock (no increment), a 31-bit ID, the ns timeout and our address; handles it locally, then queues it', () => {
    const r = started()
    expect(r.ltime).toBe(5n)
    expect(r.id).toBeGreaterThanOrEqual(0)
    expect(r.id).toBeLessThan(2 ** 31)
    const q = decodeSerfMessage(r.message) as SerfQuery
    expect(q).toMatchObject({ LTime: 5n, Flags: QueryFlag.ack, Timeout: 3_200_000_000n, SourceNode: 'me', Port: 7946, Filters: null, RelayFactor: 0, Name: 'load' })
    expect(r.responder.clock).toBe(6n) // the local handling witnessed LTime
    expect(r.deadlineMs).toBe(13_200)
    expect(r.effects[0]).toEqual({ type: 'set-timer', id: openQueryTimerId(5n), atMs: 13_200 })
    expect(r.effects.at(-1)).toEqual({ type: 'broadcast', queue: 'serf-query', message: r.message })
    // We ack (to our own address) and get the query like any member.
    expect(ofType(r.effects, 'send')).toMatchObject([{ kind: 'ack', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 }])
    expect(emitted(r.effects)[0]).toMatchObject({ type: 'query', name: 'load' })
    expect(ofType(r.effects, 'broadcast')).toHaveLength(1) // not queued twice
  })

  it('uses an explicit timeout, and filters in wire order', () => {
    const r = started({ name: 'x', requestAck: false, timeoutMs: 500, filters: { nodes: ['a'], tags: { role: 'web' } } } as never)
    expect(decodeSerfMessage(r.message)).toMatchObject({ Timeout: 500_000_000n, Flags: 0, Filters: [{ type: 'node', Nodes: ['a'] }, { type: 'tag', Tag: 'role', Expr: 'web' }] })
  })

  it.each([
    { name: 'protocol < 4', req: { name: 'x' }, over: { config: config({ protocolVersion: 3 }) }, code: 'ERR_QUERY_UNSUPPORTED_PROTOCOL' },
    { name: 'the _serf_ prefix', req: { name: '_serf_ping' }, over: {}, code: 'ERR_QUERY_RESERVED_NAME' },
    { name: 'a bad filter', req: { name: 'x', filters: { tags: { role: '(a)\\1' } } }, over: {}, code: 'ERR_QUERY_BAD_FILTER' },
    { name: 'a relay factor over 255', req: { name: 'x', relayFactor: 256 }, over: {}, code: 'ERR_QUERY_INVALID' },
    { name: 'a negative timeout', req: { name: 'x', timeoutMs: -1 }, over: {}, code: 'ERR_QUERY_INVALID' },
    { name: 'a string payload', req: { name: 'x', payload: 'p' }, over: {}, code: 'ERR_QUERY_INVALID' },
    { name: 'an encoded query over 1024 bytes', req: { name: 'x', payload: new Uint8Array(1000) }, over: {}, code: 'ERR_QUERY_TOO_LARGE' },
    { name: 'too many open queries', req: { name: 'x' }, over: { config: config({ protocolVersion: 5, maxOpenQueries: 1 }) }, code: 'ERR_QUERY_TOO_MANY_OPEN', preopen: true },
  ])('refuses $name with $code and changes nothing', ({ req, over, code, preopen }) => {
    const c = ctx(over)
    let orig = createOriginator()
    let res = responder()
    if (preopen === true) {
      const first = originateQuery(orig, res, { name: 'first' }, ctx())
      if (!first.ok) throw first.error
      orig = first.originator
      res = first.responder
    }
    const r = originateQuery(orig, res, req as never, c)
    expect(r.ok ? 'started' : r.error.code).toBe(code)
  })

  it('refuses a second query at the same LTime (a saturated clock) instead of overwriting the open one', () => {
    const top = createResponder({ size: 512, clock: (1n << 64n) - 1n, minTime: 0n })
    const first = originateQuery(createOriginator(), top, { name: 'a' }, ctx())
    if (!first.ok) throw first.error
    expect(first.responder.clock).toBe((1n << 64n) - 1n)
    const second = originateQuery(first.originator, first.responder, { name: 'b' }, ctx())
    expect(second.ok === false && second.error.code).toBe('ERR_QUERY_TOO_MANY_OPEN')
  })

  it('allows _serf_ names for internal queries', () => {
    expect(originateQuery(createOriginator(), responder(), { name: '_serf_ping', internal: true }, ctx()).ok).toBe(true)
  })

  it.each([
    { name: 'an ack', input: (q: Q) => resp(q, 'a', true), outcome: 'ack', counter: 'acks' },
    { name: 'a response', input: (q: Q) => resp(q, 'a', false, Uint8Array.of(9)), outcome: 'response', counter: 'responses' },
    { name: 'an unknown LTime', input: (q: Q) => resp({ ...q, ltime: q.ltime + 1n }, 'a', false), outcome: 'unknown-query', counter: 'unknownQuery' },
    { name: 'an ID mismatch', input: (q: Q) => resp({ ...q, id: q.id + 1 }, 'a', false), outcome: 'id-mismatch', counter: 'idMismatch' },
  ])('collects $name', ({ input, outcome, counter }) => {
    const r = started()
    const got = receiveQueryResponse(r.originator, input(r), 11_000)
    expect(got.outcome).toBe(outcome)
    expect(got.state.stats[counter as keyof OriginatorState['stats']]).toBe(1)
    if (outcome === 'response') expect(emitted(got.effects)).toEqual([{ type: 'query-result', ltime: r.ltime, id: r.id, kind: 'response', from: 'a', payload: Uint8Array.of(9) }])
    if (outcome === 'ack') expect(emitted(got.effects)).toEqual([{ type: 'query-result', ltime: r.ltime, id: r.id, kind: 'ack', from: 'a', payload: null }])
  })

  it('dedupes acks and responses by sender, separately', () => {
    const r = started()
    let s = r.originator
    const outcomes: string[] = []
    for (const m of [resp(r, 'a', true), resp(r, 'a', true), resp(r, 'a', false), resp(r, 'a', false, Uint8Array.of(1))]) {
      const got = receiveQueryResponse(s, m, 11_000)
      outcomes.push(got.outcome)
      s = got.state
    }
    expect(outcomes).toEqual(['ack', 'duplicate', 'response', 'duplicate'])
    expect(s.stats).toMatchObject({ duplicateAcks: 1, duplicateResponses: 1 })
  })

  it('drops an ack for a query sent without the ack flag, and anything after the deadline, counted', () => {
    const noAck = started({ name: 'x', requestAck: false })
    expect(receiveQueryResponse(noAck.originator, resp(noAck, 'a', true), 11_000)).toMatchObject({ outcome: 'dropped', state: { stats: { acksUnrequested: 1 } } })
    const r = started()
    expect(receiveQueryResponse(r.originator, resp(r, 'a', false), 13_200).outcome).toBe('response')
    expect(receiveQueryResponse(r.originator, resp(r, 'a', false), 13_201)).toMatchObject({ outcome: 'after-deadline', state: { stats: { afterDeadline: 1 } } })
  })

  it('closes exactly once at the deadline; later responses are for an unknown query', () => {
    const r = started()
    const s1 = receiveQueryResponse(r.originator, resp(r, 'a', true), 11_000).state
    const closed = closeQuery(s1, r.ltime, 'deadline')
    expect(emitted(closed.effects)).toEqual([{ type: 'query-closed', ltime: r.ltime, id: r.id, reason: 'deadline', acks: 1, responses: 0 }])
    expect(closeQuery(closed.state, r.ltime, 'deadline').effects).toEqual([])
    expect(receiveQueryResponse(closed.state, resp(r, 'b', false), 11_000).outcome).toBe('unknown-query')
  })

  it('aborts: cancels the timer and closes', () => {
    const r = started()
    const a = closeQuery(r.originator, r.ltime, 'aborted')
    expect(a.effects[0]).toEqual({ type: 'cancel-timer', id: openQueryTimerId(r.ltime) })
    expect(emitted(a.effects)[0]).toMatchObject({ type: 'query-closed', reason: 'aborted' })
    expect(a.state.stats.aborted).toBe(1)
  })

  it('never collects more acks or responses than members at send time, and counts every input (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.record({ from: fc.integer({ min: 0, max: 12 }), ack: fc.boolean() }), { maxLength: 60 }), (n, inputs) => {
        const r = started({ name: 'x', requestAck: true }, ctx({ numMembers: n }))
        let s = r.originator
        for (const i of inputs) s = receiveQueryResponse(s, resp(r, `n${i.from}`, i.ack), 11_000).state
        const q = s.open.get(String(r.ltime))!
        expect(q.acks.length).toBeLessThanOrEqual(n)
        expect(q.responses.length).toBeLessThanOrEqual(n)
        expect(new Set(q.acks).size).toBe(q.acks.length)
        const st = s.stats
        expect(st.acks + st.responses + st.duplicateAcks + st.duplicateResponses + st.acksDropped + st.responsesDropped).toBe(inputs.length)
      }),
      { numRuns: 200 },
    )
  })
})

type Q = { ltime: bigint; id: number }

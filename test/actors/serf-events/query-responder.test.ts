import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createResponder, expirePendingQuery, handleQuery, pendingTimerId, respondToQuery } from '../../../actors/serf-events/query-responder.ts'
import type { ResponderContext, ResponderState } from '../../../actors/serf-events/query-responder.ts'
import { forwardRelay, kRandomMembers } from '../../../actors/serf-events/relay.ts'
import { decodeSerfMessage, encodeSerfMessage, QueryFlag } from '../../../src/wire/serf.ts'
import type { SerfQuery } from '../../../src/wire/serf.ts'
import { config, emitted, member, ofType, query, raw, rng } from './support.ts'

const members = [member('web-1', 1), member('a', 2), member('b', 3), member('c', 4), member('old', 5, { protocolMax: 4 }), member('gone', 6, { status: 'failed' })]
const ctx = (over: Partial<ResponderContext> = {}): ResponderContext => ({ nowMs: 1000, self: { name: 'web-1', tags: { role: 'web' } }, members, random: rng(3), config: config(), ...over })
/** The largest response payload from 'web-1' whose encoding fits 1024 bytes (computed apart from the responder). */
const LARGEST = (() => {
  let p = 0
  while (encodeSerfMessage({ type: 'queryResponse', LTime: 10n, ID: 77, From: 'web-1', Flags: 0, Payload: new Uint8Array(p + 1) }).length <= 1024) p++
  return p
})()
const fresh = (clock = 1n, minTime = 0n): ResponderState => createResponder({ size: 512, clock, minTime })

describe('query-responder', () => {
  it.each([
    { name: 'a new query is processed', clock: 1n, min: 0n, first: undefined, q: query(), outcome: 'processed' },
    { name: 'the same LTime and ID is a duplicate', clock: 1n, min: 0n, first: query(), q: query(), outcome: 'duplicate' },
    { name: 'the same LTime with another ID is processed', clock: 1n, min: 0n, first: query(), q: query({ ID: 78 }), outcome: 'processed' },
    { name: 'older than the 512 window', clock: 1000n, min: 0n, first: undefined, q: query({ LTime: 487n }), outcome: 'too-old' },
    { name: 'below the min time', clock: 50n, min: 50n, first: undefined, q: query({ LTime: 49n }), outcome: 'before-min-time' },
    { name: 'a node filter without us', clock: 1n, min: 0n, first: undefined, q: query({ Filters: [{ type: 'node', Nodes: ['db-1'] }] }), outcome: 'filtered' },
  ])('$name', ({ clock, min, first, q, outcome }) => {
    let s = fresh(clock, min)
    if (first !== undefined) s = handleQuery(s, first, raw(first), ctx()).state
    const r = handleQuery(s, q, raw(q), ctx())
    expect(r.outcome).toBe(outcome)
    expect(r.state.clock).toBe(clock > q.LTime ? clock : q.LTime + 1n) // witnessed before any filtering
    const broadcasts = ofType(r.effects, 'broadcast')
    expect(broadcasts.length).toBe(outcome === 'processed' || outcome === 'filtered' ? 1 : 0)
    expect(emitted(r.effects).length).toBe(outcome === 'processed' ? 1 : 0)
  })

  it('rebroadcasts the exact bytes, but not with the no-broadcast flag; a filtered query is still rebroadcast', () => {
    const q = query({ Flags: QueryFlag.noBroadcast })
    expect(ofType(handleQuery(fresh(), q, raw(q), ctx()).effects, 'broadcast')).toEqual([])
    const f = query({ Filters: [{ type: 'tag', Tag: 'role', Expr: 'db' }] })
    const bytes = raw(f)
    const r = handleQuery(fresh(), f, bytes, ctx())
    expect(ofType(r.effects, 'broadcast')).toEqual([{ type: 'broadcast', queue: 'serf-query', message: bytes }])
    expect(r.state.stats.filteredTag).toBe(1)
  })

  it('acks at once over UDP to Addr:Port when asked and the filters pass, and delivers with a deadline', () => {
    const q = query({ Flags: QueryFlag.ack, Timeout: 2_500_000_000n })
    const r = handleQuery(fresh(), q, raw(q), ctx())
    const [ack] = ofType(r.effects, 'send')
    expect(ack).toMatchObject({ kind: 'ack', addr: q.Addr, port: q.Port, name: 'origin' })
    expect(decodeSerfMessage(ack!.message)).toEqual({ type: 'queryResponse', LTime: 10n, ID: 77, From: 'web-1', Flags: 1, Payload: null })
    expect(emitted(r.effects)).toEqual([{ type: 'query', ltime: 10n, id: 77, name: 'deploy', payload: q.Payload, sourceNode: 'origin', deadlineMs: 3500 }])
    expect(ofType(r.effects, 'set-timer')).toEqual([{ type: 'set-timer', id: pendingTimerId(10n, 77), atMs: 3500 }])
    expect(r.state.stats).toMatchObject({ acksSent: 1, delivered: 1 })
  })

  it('sends no ack when the filters fail', () => {
    const q = query({ Flags: QueryFlag.ack, Filters: [{ type: 'node', Nodes: ['x'] }] })
    expect(ofType(handleQuery(fresh(), q, raw(q), ctx()).effects, 'send')).toEqual([])
  })

  it("answers a peer's tag filter as Go does: valid Go with nested quantifiers is processed, a backreference is counted as bad-regex", () => {
    // A Serf agent answers both '.*we.*' and '(w|x)+' on a node tagged role=web; the old backtracking screen skipped them.
    for (const Expr of ['.*we.*', '(w|x)+', '^\\pL+$']) {
      const q = query({ Flags: QueryFlag.ack, Filters: [{ type: 'tag', Tag: 'role', Expr }] })
      const r = handleQuery(fresh(), q, raw(q), ctx())
      expect(r.outcome, Expr).toBe('processed')
      expect(r.state.stats, Expr).toMatchObject({ delivered: 1, acksSent: 1, filteredBadRegex: 0 })
    }
    const bad = query({ Flags: QueryFlag.ack, Filters: [{ type: 'tag', Tag: 'role', Expr: '(w)\\1' }] })
    const r = handleQuery(fresh(), bad, raw(bad), ctx())
    expect(r.outcome).toBe('filtered')
    expect(r.state.stats).toMatchObject({ delivered: 0, acksSent: 0, filteredBadRegex: 1, rebroadcast: 1 })
  })

  it('hands _serf_ queries to the internal handler (still acked)', () => {
    const q = query({ Name: '_serf_ping', Flags: QueryFlag.ack, Payload: null })
    const r = handleQuery(fresh(), q, raw(q), ctx())
    expect(emitted(r.effects)[0]).toMatchObject({ type: 'internal-query', name: '_serf_ping' })
    expect(ofType(r.effects, 'send')).toHaveLength(1)
    expect(r.state.stats).toMatchObject({ deliveredInternal: 1, delivered: 0 })
  })

  it('relays acks through r random alive members with protocol >= 5, never ourselves', () => {
    const q = query({ Flags: QueryFlag.ack, RelayFactor: 2 })
    const r = handleQuery(fresh(), q, raw(q), ctx())
    const relays = ofType(r.effects, 'send').filter((s) => s.kind === 'relay-ack')
    expect(relays).toHaveLength(2)
    for (const rel of relays) {
      expect(['a', 'b', 'c']).toContain(rel.name)
      const wrapped = decodeSerfMessage(rel.message)
      expect(wrapped).toMatchObject({ type: 'relay', DestName: 'origin', DestAddr: { IP: q.Addr, Port: q.Port, Zone: '' } })
      expect(decodeSerfMessage((wrapped as { Message: Uint8Array }).Message)).toMatchObject({ type: 'queryResponse', Flags: 1, From: 'web-1' })
    }
    expect(new Set(relays.map((x) => x.name)).size).toBe(2)
  })

  it.each([
    { name: 'relay factor 0', factor: 0, known: members, want: 0 },
    { name: 'fewer than r + 1 members known', factor: 6, known: members, want: 0 },
    { name: 'only three eligible members for r = 5', factor: 5, known: members, want: 3 },
    { name: 'no eligible member', factor: 1, known: [member('web-1', 1), member('gone', 6, { status: 'left' })], want: 0 },
  ])('relays: $name', ({ factor, known, want }) => {
    const q = query({ Flags: QueryFlag.ack, RelayFactor: factor })
    const r = handleQuery(fresh(), q, raw(q), ctx({ members: known }))
    expect(ofType(r.effects, 'send').filter((s) => s.kind === 'relay-ack')).toHaveLength(want)
  })

  it('as the relay, forwards the exact inner bytes to DestAddr', () => {
    const q = query({ Flags: QueryFlag.ack, RelayFactor: 1 })
    const [rel] = ofType(handleQuery(fresh(), q, raw(q), ctx()).effects, 'send').filter((s) => s.kind === 'relay-ack')
    const wrapped = decodeSerfMessage(rel!.message)
    if (wrapped.type !== 'relay') throw new Error('not a relay')
    const fwd = forwardRelay(wrapped)
    expect(fwd).toMatchObject({ type: 'send', kind: 'relay-forward', addr: q.Addr, port: q.Port, name: 'origin' })
    expect(decodeSerfMessage(fwd.message)).toEqual({ type: 'queryResponse', LTime: 10n, ID: 77, From: 'web-1', Flags: 1, Payload: null })
  })

  it('kRandomMembers draws at most 3n times and never picks one twice', () => {
    let draws = 0
    const counting = { ...rng(5), int: (n: number) => (draws++, 0 * n) } // always index 0
    expect(kRandomMembers(3, members, () => false, counting).map((m) => m.name)).toEqual(['web-1'])
    expect(draws).toBe(3 * members.length)
  })

  describe('respond', () => {
    const delivered = () => {
      const q = query({ RelayFactor: 1 })
      return handleQuery(fresh(), q, raw(q), ctx()).state
    }
    const rctx = (nowMs: number) => ({ nowMs, localName: 'web-1', members, random: rng(9), config: config() })

    it('sends one response to Addr:Port (plus relays), then refuses a second', () => {
      const s = delivered()
      const r = respondToQuery(s, { ltime: 10n, id: 77, payload: Uint8Array.of(42) }, rctx(2000))
      expect(r.ok).toBe(true)
      if (!r.ok) return
      const sends = ofType(r.effects, 'send')
      expect(sends.map((x) => x.kind)).toEqual(['response', 'relay-response'])
      expect(decodeSerfMessage(sends[0]!.message)).toEqual({ type: 'queryResponse', LTime: 10n, ID: 77, From: 'web-1', Flags: 0, Payload: Uint8Array.of(42) })
      const again = respondToQuery(r.state, { ltime: 10n, id: 77, payload: null }, rctx(2000))
      expect(again.ok === false && again.error.code).toBe('ERR_QUERY_ALREADY_RESPONDED')
      expect(again.state.stats.responsesDuplicate).toBe(1)
    })

    it.each([
      { name: 'past the deadline', ltime: 10n, id: 77, payload: null, now: 4001, code: 'ERR_QUERY_PAST_DEADLINE' },
      { name: 'at the deadline is still in time', ltime: 10n, id: 77, payload: null, now: 4000, code: undefined },
      { name: 'an unknown query', ltime: 11n, id: 77, payload: null, now: 2000, code: 'ERR_QUERY_UNKNOWN' },
      { name: 'an ID mismatch', ltime: 10n, id: 78, payload: null, now: 2000, code: 'ERR_QUERY_UNKNOWN' },
      { name: 'over 1024 bytes encoded', ltime: 10n, id: 77, payload: new Uint8Array(1000), now: 2000, code: 'ERR_QUERY_RESPONSE_TOO_LARGE' },
      { name: 'the largest payload that fits', ltime: 10n, id: 77, payload: new Uint8Array(LARGEST), now: 2000, code: undefined },
      { name: 'one byte more', ltime: 10n, id: 77, payload: new Uint8Array(LARGEST + 1), now: 2000, code: 'ERR_QUERY_RESPONSE_TOO_LARGE' },
    ])('$name', ({ ltime, id, payload, now, code }) => {
      const r = respondToQuery(delivered(), { ltime, id, payload }, rctx(now))
      expect(r.ok ? undefined : r.error.code).toBe(code)
    })

    it('refuses exactly where a real agent did: 981 payload bytes fit for node "py" (serf-rpc §7.5), 982 do not', () => {
      const q = query({ LTime: 1n, ID: 1_234_567_890 })
      const s = handleQuery(fresh(), q, raw(q), ctx({ self: { name: 'py', tags: {} } })).state
      const at = (n: number) => respondToQuery(s, { ltime: 1n, id: 1_234_567_890, payload: new Uint8Array(n) }, { ...rctx(2000), localName: 'py' })
      expect(at(981).ok).toBe(true)
      expect(at(982).ok).toBe(false)
    })

    it('checks the size before "already sent", as Serf does', () => {
      const first = respondToQuery(delivered(), { ltime: 10n, id: 77, payload: null }, rctx(2000))
      const big = respondToQuery(first.state, { ltime: 10n, id: 77, payload: new Uint8Array(2000) }, rctx(2000))
      expect(big.ok === false && big.error.code).toBe('ERR_QUERY_RESPONSE_TOO_LARGE')
    })

    it('skips (and counts) a relayed copy that would exceed the limit, but sends the direct response', () => {
      const r = respondToQuery(delivered(), { ltime: 10n, id: 77, payload: new Uint8Array(LARGEST) }, rctx(2000))
      expect(r.ok && ofType(r.effects, 'send').map((x) => x.kind)).toEqual(['response'])
      expect(r.ok && r.state.stats.relaysTooLarge).toBe(1)
    })

    it('forgets a query at its deadline timer, counting it when nobody answered', () => {
      const s = expirePendingQuery(delivered(), 10n, 77)
      expect(s.pending.size).toBe(0)
      expect(s.stats.expiredUnanswered).toBe(1)
      const r = respondToQuery(s, { ltime: 10n, id: 77, payload: null }, rctx(2000))
      expect(r.ok === false && r.error.code).toBe('ERR_QUERY_UNKNOWN')
    })
  })

  it('holds at most maxPendingQueries awaiting a response; past it the query is acked and rebroadcast but not delivered, counted', () => {
    const c = ctx({ config: config({ maxPendingQueries: 2 }) })
    let s = fresh()
    const outs: string[] = []
    for (let id = 1; id <= 3; id++) {
      const q: SerfQuery = query({ ID: id, Flags: QueryFlag.ack })
      const r = handleQuery(s, q, raw(q), c)
      outs.push(`${emitted(r.effects).length}/${ofType(r.effects, 'send').length}/${ofType(r.effects, 'broadcast').length}`)
      s = r.state
    }
    expect(outs).toEqual(['1/1/1', '1/1/1', '0/1/1'])
    expect(s.stats.pendingFull).toBe(1)
    expect(s.pending.size).toBe(2)
  })

  it('clamps a negative or absurd Timeout from a peer', () => {
    const neg = query({ Timeout: -5n })
    expect(emitted(handleQuery(fresh(), neg, raw(neg), ctx()).effects)[0]).toMatchObject({ deadlineMs: 1000 })
    const huge = query({ Timeout: 2n ** 62n })
    expect(emitted(handleQuery(fresh(), huge, raw(huge), ctx()).effects)[0]).toMatchObject({ deadlineMs: 1000 + 86_400_000 })
  })

  it('never processes one (LTime, ID) twice, and accounts for every query received (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ lt: fc.bigInt({ min: 0n, max: 200n }), id: fc.integer({ min: 0, max: 3 }) }), { maxLength: 300 }), (inputs) => {
        let s = createResponder({ size: 8, clock: 1n, minTime: 0n })
        const seen = new Set<string>()
        for (const { lt, id } of inputs) {
          const q = query({ LTime: lt, ID: id })
          const r = handleQuery(s, q, raw(q), ctx())
          if (r.outcome === 'processed') {
            expect(seen.has(`${lt}:${id}`)).toBe(false)
            seen.add(`${lt}:${id}`)
          }
          s = r.state
        }
        const st = s.stats
        expect(st.received).toBe(inputs.length)
        expect(st.duplicates + st.tooOld + st.beforeMinTime + st.slotFull + st.delivered + st.pendingFull).toBe(inputs.length)
      }),
      { numRuns: 100 },
    )
  })
})

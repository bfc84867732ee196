/**
 * The serf-events core (core.ts): Serf's event layer composed from the concept files, as one pure
 * `step`. Each case feeds inputs and checks the effects, the API result and the counters.
 */
import { describe, expect, it } from 'vitest'
import { createSerfEventsConfig } from '../../../actors/serf-events/config.ts'
import type { SerfEventsInit } from '../../../actors/serf-events/config.ts'
import { eventStateOf, initialCoreState, statsOf, step } from '../../../actors/serf-events/core.ts'
import type { CoreEffect, CoreInput, SerfEventsCoreState } from '../../../actors/serf-events/core.ts'
import type { SerfEventsMember } from '../../../actors/serf-events/protocol.ts'
import { decodeSerfMessage, encodeSerfMessage, QueryFlag } from '../../../src/wire/serf.ts'
import type { SerfQuery, SerfQueryResponse } from '../../../src/wire/serf.ts'
import { query, raw, rng } from './support.ts'

const random = rng(7)

export function feedMember(name: string, i: number, over: Partial<SerfEventsMember> = {}): SerfEventsMember {
  return { name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, tags: {}, status: 'alive', protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4, ...over }
}

/** A core input without the time and randomness the harness adds. */
type LooseInput = { [K in CoreInput['type']]: Omit<Extract<CoreInput, { type: K }>, 'now' | 'random'> }[CoreInput['type']]

/** A core for `self` (10.0.0.1) that knows `others` alive members (10.0.0.2 ...). */
function core(init: SerfEventsInit = {}, others = 2, selfTags: Record<string, string> = {}) {
  let state: SerfEventsCoreState = initialCoreState(createSerfEventsConfig(init), 'self')
  const members = [feedMember('self', 1, { tags: selfTags }), ...Array.from({ length: others }, (_, i) => feedMember(`n${i + 2}`, i + 2))]
  state = step(state, { type: 'members', members }).state
  let now = 0
  const run = (input: LooseInput) => {
    const r = step(state, { now, random, ...input } as CoreInput)
    state = r.state
    return r
  }
  return { run, get state() { return state }, advance: (ms: number) => (now += ms), get now() { return now } }
}

const of = <T extends CoreEffect['type']>(effects: readonly CoreEffect[], type: T) => effects.filter((e): e is Extract<CoreEffect, { type: T }> => e.type === type)
const emits = (effects: readonly CoreEffect[]) => of(effects, 'emit').map((e) => e.event)
const userEvent = (ltime: bigint, name: string, payload: number[] | null = null, cc = false) => encodeSerfMessage({ type: 'userEvent', LTime: ltime, Name: name, Payload: payload === null ? null : Uint8Array.from(payload), CC: cc })

describe('serf-events core: user events', () => {
  it('sends one: LTime = clock, delivered locally once, queued, the snapshot told the clock', () => {
    const c = core()
    const r = c.run({ type: 'user-event', request: { name: 'deploy', payload: Uint8Array.of(1), coalesce: false } })
    expect(r.result).toEqual({ ok: true, value: { kind: 'user-event', ltime: 1n } })
    expect(emits(r.effects)).toEqual([{ type: 'user-event', ltime: 1n, name: 'deploy', payload: Uint8Array.of(1), coalesce: false }])
    const [b] = of(r.effects, 'broadcast')
    expect(b!.queue).toBe('serf-event')
    expect(decodeSerfMessage(b!.message)).toEqual({ type: 'userEvent', LTime: 1n, Name: 'deploy', Payload: Uint8Array.of(1), CC: false })
    expect(of(r.effects, 'snapshot')).toEqual([{ type: 'snapshot', msg: { type: 'snapshot.event-clock', ltime: 1n } }])
    expect(c.state.ev.events.clock).toBe(2n)
  })

  it('refuses an oversized or malformed one with a coded error and changes nothing', () => {
    const c = core()
    const before = c.state
    expect(c.run({ type: 'user-event', request: { name: 'x', payload: new Uint8Array(600), coalesce: false } }).result).toMatchObject({ ok: false, error: { code: 'ERR_EVENT_TOO_LARGE' } })
    expect(c.run({ type: 'user-event', request: { name: 7 as unknown as string, coalesce: false } }).result).toMatchObject({ ok: false, error: { code: 'ERR_EVENT_INVALID' } })
    expect(c.state).toBe(before)
  })

  it('delivers a received event once and rebroadcasts the exact bytes; a copy is a counted duplicate', () => {
    const c = core()
    const bytes = userEvent(9n, 'deploy', [1, 2])
    const r1 = c.run({ type: 'message', bytes })
    expect(emits(r1.effects)).toEqual([{ type: 'user-event', ltime: 9n, name: 'deploy', payload: Uint8Array.of(1, 2), coalesce: false }])
    expect(of(r1.effects, 'broadcast')).toEqual([{ type: 'broadcast', queue: 'serf-event', message: bytes }])
    const r2 = c.run({ type: 'message', bytes })
    expect(r2.effects).toEqual([])
    expect(statsOf(c.state).userEvents).toMatchObject({ delivered: 1, duplicates: 1 })
    expect(c.state.ev.events.clock).toBe(10n)
  })

  it('counts malformed and foreign messages, never throws', () => {
    const c = core()
    for (const bytes of [new Uint8Array(0), Uint8Array.of(3, 0xc1), Uint8Array.of(4, 0x80), Uint8Array.of(99, 1, 2)]) expect(c.run({ type: 'message', bytes }).effects).toEqual([])
    c.run({ type: 'message', bytes: encodeSerfMessage({ type: 'join', LTime: 3n, Node: 'x' }) })
    expect(statsOf(c.state).counters).toMatchObject({ malformedMessages: 4, foreignMessages: 1 })
  })

  it('coalesces CC events with the agent settings: only the newest LTime per name, after the quiescent period', () => {
    const c = core({ userCoalescePeriodMs: 3000, userQuiescentPeriodMs: 1000 })
    expect(emits(c.run({ type: 'message', bytes: userEvent(5n, 'deploy', [1], true) }).effects)).toEqual([])
    expect(emits(c.run({ type: 'message', bytes: userEvent(6n, 'deploy', [2], true) }).effects)).toEqual([])
    // Not coalescable: straight through.
    expect(emits(c.run({ type: 'message', bytes: userEvent(7n, 'other', null, false) }).effects)).toHaveLength(1)
    c.advance(1000)
    const r = c.run({ type: 'timer', id: 'coalesce-user:quiescent' })
    expect(emits(r.effects)).toEqual([{ type: 'user-event', ltime: 6n, name: 'deploy', payload: Uint8Array.of(2), coalesce: true }])
    expect(statsOf(c.state).userCoalescer).toMatchObject({ superseded: 1, flushes: 1 })
  })

  it('replays a remote push/pull ring without rebroadcast; a join that ignores old events skips them', () => {
    const slot = { LTime: 20n, Events: [{ Name: 'old', Payload: null }] }
    const replay = core()
    const r = replay.run({ type: 'merge-remote', eventLTime: 21n, events: [slot], queryLTime: 31n, join: true })
    expect(emits(r.effects)).toMatchObject([{ type: 'user-event', ltime: 20n, name: 'old' }])
    expect(of(r.effects, 'broadcast')).toEqual([])
    expect([replay.state.ev.events.clock, replay.state.ev.queries.clock]).toEqual([21n, 31n])

    const ignore = core({ eventJoinIgnore: true })
    expect(emits(ignore.run({ type: 'merge-remote', eventLTime: 21n, events: [slot], queryLTime: 0n, join: true }).effects)).toEqual([])
    expect(statsOf(ignore.state).userEvents.beforeMinTime).toBe(1)
    // A later (non-join) push/pull with the same event still does not deliver it; a newer one does.
    expect(emits(ignore.run({ type: 'merge-remote', eventLTime: 22n, events: [slot, { LTime: 21n, Events: [{ Name: 'new', Payload: null }] }], queryLTime: 0n, join: false }).effects)).toMatchObject([{ name: 'new' }])
  })

  it('after a snapshot replay, events at or below the restored clock are not delivered again (eventMinTime)', () => {
    let state = initialCoreState(createSerfEventsConfig(), 'self', { eventClock: 50n, queryClock: 20n })
    expect([state.ev.events.clock, state.ev.events.minTime, state.ev.queries.minTime]).toEqual([51n, 51n, 21n])
    const old = step(state, { type: 'message', bytes: userEvent(50n, 'seen-before'), now: 0, random })
    expect(emits(old.effects)).toEqual([])
    state = old.state
    expect(emits(step(state, { type: 'message', bytes: userEvent(51n, 'new'), now: 0, random }).effects)).toHaveLength(1)
    // The snapshot is not told a clock it already holds.
    expect(of(step(state, { type: 'message', bytes: userEvent(51n, 'new'), now: 0, random }).effects, 'snapshot')).toEqual([{ type: 'snapshot', msg: { type: 'snapshot.event-clock', ltime: 51n } }])
  })

  it("the push/pull slice is the ring and both clocks", () => {
    const c = core({ eventBuffer: 4 })
    c.run({ type: 'message', bytes: userEvent(6n, 'a') })
    const s = eventStateOf(c.state)
    expect(s.eventLTime).toBe(7n)
    expect(s.queryLTime).toBe(1n)
    expect(s.events).toEqual([null, null, { LTime: 6n, Events: [{ Name: 'a', Payload: null }] }, null])
  })
})

describe('serf-events core: answering queries', () => {
  it('acks at once, rebroadcasts the exact bytes, asks the application; one response before the deadline', () => {
    const c = core()
    const q = query({ Flags: QueryFlag.ack, LTime: 10n, ID: 77 })
    const r = c.run({ type: 'message', bytes: raw(q) })
    expect(of(r.effects, 'broadcast')).toEqual([{ type: 'broadcast', queue: 'serf-query', message: raw(q) }])
    const [ack] = of(r.effects, 'send')
    expect(ack).toMatchObject({ kind: 'ack', addr: q.Addr, port: q.Port })
    expect(decodeSerfMessage(ack!.message)).toMatchObject({ type: 'queryResponse', LTime: 10n, ID: 77, From: 'self', Flags: QueryFlag.ack })
    expect(emits(r.effects)).toMatchObject([{ type: 'query', ltime: 10n, id: 77, name: 'deploy', sourceNode: 'origin', deadlineMs: 3000 }])
    expect(of(r.effects, 'snapshot')).toEqual([{ type: 'snapshot', msg: { type: 'snapshot.query-clock', ltime: 10n } }])

    const resp = c.run({ type: 'respond', key: '10:77', payload: Uint8Array.of(5) })
    expect(resp.result).toEqual({ ok: true, value: { kind: 'none' } })
    expect(decodeSerfMessage(of(resp.effects, 'send')[0]!.message)).toMatchObject({ type: 'queryResponse', From: 'self', Flags: 0, Payload: Uint8Array.of(5) })
    expect(c.run({ type: 'respond', key: '10:77', payload: null }).result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_ALREADY_RESPONDED' } })
    expect(c.run({ type: 'respond', key: 'nope', payload: null }).result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_UNKNOWN' } })
  })

  it('refuses a response past the deadline and one over the size limit', () => {
    const c = core()
    c.run({ type: 'message', bytes: raw(query({ LTime: 4n, ID: 1 })) })
    expect(c.run({ type: 'respond', key: '4:1', payload: new Uint8Array(2000) }).result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_RESPONSE_TOO_LARGE' } })
    c.advance(3001)
    expect(c.run({ type: 'respond', key: '4:1', payload: null }).result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_PAST_DEADLINE' } })
  })

  it('honours node and tag filters (Go unanchored regexps); a bad peer regexp means "do not process", counted', () => {
    const c = core({}, 2, { role: 'web-frontend' })
    const asked = (filters: SerfQuery['Filters'], ltime: bigint) => emits(c.run({ type: 'message', bytes: raw(query({ LTime: ltime, Filters: filters })) }).effects).length
    expect(asked([{ type: 'node', Nodes: ['other'] }], 20n)).toBe(0)
    expect(asked([{ type: 'node', Nodes: ['other', 'self'] }], 21n)).toBe(1)
    expect(asked([{ type: 'tag', Tag: 'role', Expr: 'web' }], 22n)).toBe(1)
    expect(asked([{ type: 'tag', Tag: 'role', Expr: '^db' }], 23n)).toBe(0)
    expect(asked([{ type: 'tag', Tag: 'role', Expr: '(' }], 24n)).toBe(0)
    expect(statsOf(c.state).queries).toMatchObject({ filteredNode: 1, filteredTag: 1, filteredBadRegex: 1, delivered: 2 })
  })

  it('answers _serf_ping with the ack only, and counts an unknown _serf_ name as unhandled (not answered)', () => {
    const c = core()
    const ping = c.run({ type: 'message', bytes: raw(query({ LTime: 30n, Name: '_serf_ping', Flags: QueryFlag.ack })) })
    expect(emits(ping.effects)).toEqual([])
    expect(of(ping.effects, 'send').map((s) => s.kind)).toEqual(['ack'])
    const key = c.run({ type: 'message', bytes: raw(query({ LTime: 31n, Name: '_serf_frobnicate', Flags: QueryFlag.ack })) })
    expect(of(key.effects, 'send').map((s) => s.kind)).toEqual(['ack'])
    expect(statsOf(c.state).counters).toMatchObject({ internalPing: 1, internalUnhandled: 1 })
    // Neither waits for an answer that will never come.
    expect(c.state.ev.queries.pending.size).toBe(0)
  })

  it('answers _serf_conflict with the member as it knows it', () => {
    const c = core()
    const r = c.run({ type: 'message', bytes: raw(query({ LTime: 32n, Name: '_serf_conflict', Payload: new TextEncoder().encode('n2') })) })
    const [send] = of(r.effects, 'send')
    const resp = decodeSerfMessage(send!.message) as SerfQueryResponse
    expect(decodeSerfMessage(resp.Payload!)).toMatchObject({ type: 'conflictResponse', Member: { Name: 'n2', Port: 7946, Status: 1, ProtocolMax: 5, DelegateCur: 4 } })
    expect(statsOf(c.state).counters.internalAnswered).toBe(1)
  })

  it('forwards a relay, byte-exact, to its destination', () => {
    const c = core()
    const inner = encodeSerfMessage({ type: 'queryResponse', LTime: 1n, ID: 2, From: 'x', Flags: 0, Payload: null })
    const r = c.run({ type: 'message', bytes: encodeSerfMessage({ type: 'relay', DestAddr: { IP: Uint8Array.of(10, 0, 0, 9), Port: 8000, Zone: '' }, DestName: 'origin', Message: inner }) })
    expect(of(r.effects, 'send')).toEqual([{ type: 'send', addr: Uint8Array.of(10, 0, 0, 9), port: 8000, name: 'origin', kind: 'relay-forward', message: inner }])
    expect(statsOf(c.state).counters.relaysForwarded).toBe(1)
  })
})

describe('serf-events core: originating queries', () => {
  it('is refused before the node knows its own address', () => {
    const state = initialCoreState(createSerfEventsConfig(), 'self')
    expect(step(state, { type: 'query', request: { name: 'q' }, now: 0, random }).result).toMatchObject({ ok: false, error: { code: 'ERR_EVENTS_NOT_READY' } })
  })

  it('refuses bad input with coded errors and sends nothing', () => {
    const c = core()
    expect(c.run({ type: 'query', request: { name: '_serf_x' } }).result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_RESERVED_NAME' } })
    expect(c.run({ type: 'query', request: { name: 'q', filters: { tags: { role: '(' } } } }).result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_BAD_FILTER', details: { tag: 'role' } } })
    expect(c.run({ type: 'query', request: { name: 'q', payload: new Uint8Array(1100) } }).result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_TOO_LARGE' } })
    expect(statsOf(c.state).originated.started).toBe(0)
  })

  it('collects acks and responses (deduped by sender), takes its own in directly, closes once at the deadline', () => {
    const c = core()
    const r = c.run({ type: 'query', request: { name: 'q', requestAck: true } })
    expect(r.result).toMatchObject({ ok: true, value: { kind: 'query', ltime: 1n, deadlineMs: 3200 } })
    const { id } = r.result!.ok && r.result!.value.kind === 'query' ? r.result!.value : { id: -1 }
    expect(of(r.effects, 'broadcast').map((b) => b.queue)).toEqual(['serf-query'])
    // Our own ack came straight back; our own query went to the application.
    expect(emits(r.effects)).toMatchObject([{ type: 'query-result', kind: 'ack', from: 'self' }, { type: 'query', id, sourceNode: 'self' }])
    expect(of(r.effects, 'send')).toEqual([])
    const own = c.run({ type: 'respond', key: `1:${id}`, payload: Uint8Array.of(1) })
    expect(emits(own.effects)).toMatchObject([{ type: 'query-result', kind: 'response', from: 'self', payload: Uint8Array.of(1) }])

    const resp = (from: string, flags: number) => encodeSerfMessage({ type: 'queryResponse', LTime: 1n, ID: id, From: from, Flags: flags, Payload: flags === 0 ? Uint8Array.of(9) : null })
    expect(emits(c.run({ type: 'message', bytes: resp('n2', QueryFlag.ack) }).effects)).toMatchObject([{ kind: 'ack', from: 'n2' }])
    expect(emits(c.run({ type: 'message', bytes: resp('n2', QueryFlag.ack) }).effects)).toEqual([]) // a relayed copy
    expect(emits(c.run({ type: 'message', bytes: resp('n2', 0) }).effects)).toMatchObject([{ kind: 'response', from: 'n2' }])
    c.advance(3200)
    const closed = c.run({ type: 'timer', id: 'query-close:1' })
    expect(emits(closed.effects)).toEqual([{ type: 'query-closed', ltime: 1n, id, reason: 'deadline', acks: 2, responses: 2 }])
    expect(c.run({ type: 'timer', id: 'query-close:1' }).effects).toEqual([])
    expect(emits(c.run({ type: 'message', bytes: resp('n3', 0) }).effects)).toEqual([])
    expect(statsOf(c.state).originated).toMatchObject({ duplicateAcks: 1, unknownQuery: 1, closedAtDeadline: 1, open: 0 })
  })

  it('shutdown closes every open query once (aborted)', () => {
    const c = core()
    c.run({ type: 'query', request: { name: 'a' } })
    c.run({ type: 'query', request: { name: 'b' } })
    const r = c.run({ type: 'shutdown' })
    expect(emits(r.effects).map((e) => e.type === 'query-closed' && `${e.ltime}:${e.reason}`)).toEqual(['1:aborted', '2:aborted'])
    expect(c.run({ type: 'shutdown' }).effects).toEqual([])
  })

  it('an abort closes the query once and cancels its timer; an unknown abort is counted', () => {
    const c = core()
    const r = c.run({ type: 'query', request: { name: 'q' } })
    const v = r.result!.ok ? (r.result!.value as { ltime: bigint; id: number }) : undefined
    const a = c.run({ type: 'abort', ltime: v!.ltime, id: v!.id })
    expect(of(a.effects, 'cancel-timer')).toEqual([{ type: 'cancel-timer', id: `query-close:${v!.ltime}` }])
    expect(emits(a.effects)).toMatchObject([{ type: 'query-closed', reason: 'aborted' }])
    expect(c.run({ type: 'abort', ltime: v!.ltime, id: v!.id }).effects).toEqual([])
    expect(statsOf(c.state).counters.abortsUnknown).toBe(1)
  })
})

describe('serf-events core: member events', () => {
  it('keeps the member feed (join, update, reap) and passes events through when coalescing is off', () => {
    const c = core({}, 0)
    const r = c.run({ type: 'member-event', event: 'member-join', members: [feedMember('a', 5)] })
    expect(emits(r.effects)).toMatchObject([{ type: 'member-event', event: 'member-join', members: [{ name: 'a' }] }])
    expect(statsOf(c.state)).toMatchObject({ members: 2, numMembers: 2 })
    c.run({ type: 'member-event', event: 'member-failed', members: [feedMember('a', 5, { status: 'failed' })] })
    expect(statsOf(c.state).numMembers).toBe(1)
    c.run({ type: 'member-event', event: 'member-reap', members: [feedMember('a', 5, { status: 'failed' })] })
    expect(statsOf(c.state).members).toBe(1)
  })

  it('coalesces with the agent settings: last type per member wins, one event per type at the flush', () => {
    const c = core({ coalescePeriodMs: 3000, quiescentPeriodMs: 1000 }, 0)
    expect(emits(c.run({ type: 'member-event', event: 'member-join', members: [feedMember('a', 5)] }).effects)).toEqual([])
    c.advance(500)
    c.run({ type: 'member-event', event: 'member-join', members: [feedMember('b', 6)] })
    c.run({ type: 'member-event', event: 'member-failed', members: [feedMember('a', 5, { status: 'failed' })] })
    c.advance(1000)
    const r = c.run({ type: 'timer', id: 'coalesce-member:quiescent' })
    expect(emits(r.effects)).toMatchObject([
      { type: 'member-event', event: 'member-join', members: [{ name: 'b' }] },
      { type: 'member-event', event: 'member-failed', members: [{ name: 'a' }] },
    ])
  })

  it('counts a timer nobody armed', () => {
    const c = core()
    c.run({ type: 'timer', id: 'bogus' })
    expect(statsOf(c.state).counters.unknownTimers).toBe(1)
  })
})

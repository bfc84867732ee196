/**
 * The serf-events core's internal queries (core.ts + internal-ops.ts): the key queries answered
 * through swim's keyring (an `ask-keyring` effect and a `keyring-reply` input), the cluster-wide
 * key operation this node originates, and the `_serf_conflict` vote about our own name. Pure
 * steps on a simulated clock: every timer is an input the test feeds.
 */
import { describe, expect, it } from 'vitest'
import { createSerfEventsConfig } from '../../../actors/serf-events/config.ts'
import { encodeConflictResponse } from '../../../actors/serf-events/conflict-response.ts'
import { initialCoreState, statsOf, step } from '../../../actors/serf-events/core.ts'
import type { CoreEffect, CoreInput, SerfEventsCoreState } from '../../../actors/serf-events/core.ts'
import { CONFLICT_RETRY_TIMER } from '../../../actors/serf-events/internal-ops.ts'
import { openQueryTimerId } from '../../../actors/serf-events/query-originator.ts'
import type { SerfEventsMember } from '../../../actors/serf-events/protocol.ts'
import { decodeSerfMessage, encodeSerfMessage, QueryFlag } from '../../../src/wire/serf.ts'
import type { SerfKeyResponse, SerfQuery, SerfQueryResponse } from '../../../src/wire/serf.ts'
import { query, raw, rng } from './support.ts'

const random = rng(11)
const K1 = new Uint8Array(32).fill(1)
const K2 = new Uint8Array(16).fill(2)
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64')

function feedMember(name: string, i: number, over: Partial<SerfEventsMember> = {}): SerfEventsMember {
  return { name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, tags: {}, status: 'alive', protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4, ...over }
}

type LooseInput = { [K in CoreInput['type']]: Omit<Extract<CoreInput, { type: K }>, 'now' | 'random'> }[CoreInput['type']]

/** `self` (10.0.0.1:7946) and `others` alive members n2 (10.0.0.2), n3, ... */
function core(others = 2) {
  let state: SerfEventsCoreState = initialCoreState(createSerfEventsConfig({}), 'self')
  state = step(state, { type: 'members', members: [feedMember('self', 1), ...Array.from({ length: others }, (_, i) => feedMember(`n${i + 2}`, i + 2))] }).state
  let now = 0
  const run = (input: LooseInput) => {
    const r = step(state, { now, random, ...input } as CoreInput)
    state = r.state
    return r
  }
  return { run, get state() { return state }, advance: (ms: number) => (now += ms), get now() { return now } }
}

const of = <T extends CoreEffect['type']>(effects: readonly CoreEffect[], type: T) => effects.filter((e): e is Extract<CoreEffect, { type: T }> => e.type === type)
const emitTypes = (effects: readonly CoreEffect[]) => of(effects, 'emit').map((e) => e.event.type)
const counters = (c: { state: SerfEventsCoreState }) => statsOf(c.state).counters

/** The query this node broadcast in `effects`. */
function sentQuery(effects: readonly CoreEffect[]): SerfQuery {
  const [b] = of(effects, 'broadcast')
  expect(b?.queue).toBe('serf-query')
  return decodeSerfMessage(b!.message) as SerfQuery
}

const response = (q: SerfQuery, from: string, payload: Uint8Array) => encodeSerfMessage({ type: 'queryResponse', LTime: q.LTime, ID: q.ID, From: from, Flags: 0, Payload: payload })
const keyResp = (r: Partial<SerfKeyResponse>) => encodeSerfMessage({ type: 'keyResponse', Result: true, Message: '', Keys: null, PrimaryKey: '', ...r })
const keyRequest = (key: Uint8Array) => encodeSerfMessage({ type: 'keyRequest', Key: key })

describe('key queries, the answering side', () => {
  it('asks swim for the operation (the query stays pending), then answers with the keyring reply', () => {
    const c = core()
    const r = c.run({ type: 'message', bytes: raw(query({ LTime: 40n, ID: 5, Name: '_serf_install-key', Flags: QueryFlag.ack, Payload: keyRequest(K2) })) })
    // Acked at once; nothing answered yet; the keyring is asked with the decoded key.
    expect(of(r.effects, 'send').map((s) => s.kind)).toEqual(['ack'])
    const [ask] = of(r.effects, 'ask-keyring')
    expect(ask).toEqual({ type: 'ask-keyring', key: '40:5', kind: 'install', op: { kind: 'install', key: K2 } })
    expect(c.state.ev.queries.pending.has('40:5')).toBe(true)
    expect(emitTypes(r.effects)).toEqual([])

    const a = c.run({ type: 'keyring-reply', key: '40:5', kind: 'install', reply: { ok: true } })
    const [send] = of(a.effects, 'send')
    expect(send).toMatchObject({ kind: 'response', name: 'origin', port: 7946, addr: Uint8Array.of(10, 0, 0, 9) })
    const msg = decodeSerfMessage(send!.message) as SerfQueryResponse
    expect(msg).toMatchObject({ LTime: 40n, ID: 5, From: 'self', Flags: 0 })
    expect(decodeSerfMessage(msg.Payload!)).toEqual({ type: 'keyResponse', Result: true, Message: '', Keys: null, PrimaryKey: '' })
    expect(c.state.ev.queries.pending.size).toBe(0)
    expect(counters(c)).toMatchObject({ keyringAsks: 1, keyQueriesAnswered: 1, internalUnhandled: 0 })
  })

  it('list-keys: the keys base64 with the primary; a failure carries the keyring message', () => {
    const c = core()
    c.run({ type: 'message', bytes: raw(query({ LTime: 41n, ID: 6, Name: '_serf_list-keys', Payload: keyRequest(new Uint8Array(0)) })) })
    const a = c.run({ type: 'keyring-reply', key: '41:6', kind: 'list', reply: { ok: true, keys: [K1, K2], primary: K1 } })
    const payload = (decodeSerfMessage(of(a.effects, 'send')[0]!.message) as SerfQueryResponse).Payload!
    expect(decodeSerfMessage(payload)).toEqual({ type: 'keyResponse', Result: true, Message: '', Keys: [b64(K1), b64(K2)], PrimaryKey: b64(K1) })

    c.run({ type: 'message', bytes: raw(query({ LTime: 42n, ID: 7, Name: '_serf_remove-key', Payload: keyRequest(K1) })) })
    const f = c.run({ type: 'keyring-reply', key: '42:7', kind: 'remove', reply: { ok: false, message: 'Removing the primary key is not allowed' } })
    const fp = (decodeSerfMessage(of(f.effects, 'send')[0]!.message) as SerfQueryResponse).Payload!
    expect(decodeSerfMessage(fp)).toMatchObject({ Result: false, Message: 'Removing the primary key is not allowed' })
  })

  it('an undecodable request is answered Result: false at once, without asking the keyring', () => {
    const c = core()
    const r = c.run({ type: 'message', bytes: raw(query({ LTime: 43n, ID: 8, Name: '_serf_use-key', Payload: Uint8Array.of(7, 0xc1) })) })
    expect(of(r.effects, 'ask-keyring')).toEqual([])
    const payload = (decodeSerfMessage(of(r.effects, 'send')[0]!.message) as SerfQueryResponse).Payload!
    expect(decodeSerfMessage(payload)).toMatchObject({ type: 'keyResponse', Result: false })
    expect(counters(c)).toMatchObject({ keyRequestsUndecodable: 1, keyQueriesAnswered: 1 })
    expect(c.state.ev.queries.pending.size).toBe(0)
  })

  it('a keyring reply after the query was forgotten (deadline) or for an unknown key is counted, nothing sent', () => {
    const c = core()
    c.run({ type: 'message', bytes: raw(query({ LTime: 44n, ID: 9, Name: '_serf_list-keys' })) })
    c.advance(3_001)
    c.run({ type: 'timer', id: 'query-deadline:44:9' })
    const late = c.run({ type: 'keyring-reply', key: '44:9', kind: 'list', reply: { ok: true, keys: [K1], primary: K1 } })
    const unknown = c.run({ type: 'keyring-reply', key: 'nope', kind: 'list', reply: { ok: true } })
    expect([...late.effects, ...unknown.effects]).toEqual([])
    expect(counters(c)).toMatchObject({ keyringRepliesLate: 2, keyQueriesAnswered: 0 })
  })
})

describe('the cluster-wide key operation (originator)', () => {
  /** Starts `install K2` on self + n2 + n3; returns the query sent. */
  function start(c: ReturnType<typeof core>) {
    const r = c.run({ type: 'key-operation', token: 't1', kind: 'install', key: b64(K2) })
    expect(r.result).toEqual({ ok: true, value: { kind: 'key-operation-pending', ltime: expect.any(BigInt) } })
    const q = sentQuery(r.effects)
    expect(q).toMatchObject({ Name: '_serf_install-key', SourceNode: 'self', Flags: 0, RelayFactor: 0 })
    expect(decodeSerfMessage(q.Payload!)).toEqual({ type: 'keyRequest', Key: K2 })
    // We answer our own query like any member: through our keyring.
    expect(of(r.effects, 'ask-keyring')).toEqual([{ type: 'ask-keyring', key: `${q.LTime}:${q.ID}`, kind: 'install', op: { kind: 'install', key: K2 } }])
    return q
  }

  it('every member answers: the result at once (before the deadline), nothing emitted to the application', () => {
    const c = core()
    const q = start(c)
    const own = c.run({ type: 'keyring-reply', key: `${q.LTime}:${q.ID}`, kind: 'install', reply: { ok: true } })
    expect(of(own.effects, 'send')).toEqual([]) // our own answer is taken in directly
    expect(counters(c).localResults).toBe(1)
    c.run({ type: 'message', bytes: response(q, 'n2', keyResp({})) })
    const last = c.run({ type: 'message', bytes: response(q, 'n3', keyResp({})) })
    expect(of(last.effects, 'key-operation-done')).toEqual([{ type: 'key-operation-done', token: 't1', error: null, response: { messages: {}, numNodes: 3, numErr: 0, numResp: 3 } }])
    expect(of(last.effects, 'cancel-timer').map((e) => e.id)).toContain(openQueryTimerId(q.LTime))
    expect(emitTypes(last.effects)).toEqual([])
    expect(c.state.ev.originator.open.size).toBe(0)
    expect(c.state.ops.keyOps.size).toBe(0)
    expect(counters(c).keyOperations).toBe(1)
  })

  it('a failure and a missing answer: closed at the deadline with Serf\'s error text and messages', () => {
    const c = core()
    const q = start(c)
    c.run({ type: 'keyring-reply', key: `${q.LTime}:${q.ID}`, kind: 'install', reply: { ok: true } })
    const r = c.run({ type: 'message', bytes: response(q, 'n2', keyResp({ Result: false, Message: 'key size must be 16, 24 or 32 bytes' })) })
    expect(of(r.effects, 'key-operation-done')).toEqual([])
    const deadline = c.state.ev.originator.open.get(String(q.LTime))!.deadlineMs
    c.advance(deadline - c.now)
    const closed = c.run({ type: 'timer', id: openQueryTimerId(q.LTime) })
    expect(of(closed.effects, 'key-operation-done')).toEqual([
      { type: 'key-operation-done', token: 't1', error: '1/3 nodes reported failure', response: { messages: { n2: 'key size must be 16, 24 or 32 bytes' }, numNodes: 3, numErr: 1, numResp: 2 } },
    ])
    expect(emitTypes(closed.effects)).toEqual([])
  })

  it('list: counts each key over the answers', () => {
    const c = core(1)
    const r = c.run({ type: 'key-operation', token: 'L', kind: 'list', key: null })
    const q = sentQuery(r.effects)
    c.run({ type: 'keyring-reply', key: `${q.LTime}:${q.ID}`, kind: 'list', reply: { ok: true, keys: [K1, K2], primary: K1 } })
    const done = c.run({ type: 'message', bytes: response(q, 'n2', keyResp({ Keys: [b64(K1)], PrimaryKey: b64(K1) })) })
    expect(of(done.effects, 'key-operation-done')[0]).toMatchObject({ token: 'L', error: null, response: { keys: { [b64(K1)]: 2, [b64(K2)]: 1 }, numNodes: 2, numResp: 2 } })
  })

  it('a bad key text is answered at once with Go\'s text and NumNodes 0, nothing sent; a bad kind is a coded error', () => {
    const c = core()
    const r = c.run({ type: 'key-operation', token: 'x', kind: 'use', key: 'no!' })
    expect(r.result).toMatchObject({ ok: true, value: { kind: 'key-operation', code: 'ERR_KEY_BASE64', response: { numNodes: 0 } } })
    expect(r.effects).toEqual([])
    const bad = c.run({ type: 'key-operation', token: 'y', kind: 'rotate' as 'use', key: b64(K1) })
    expect(bad.result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_INVALID' } })
  })

  it("carries Serf's KeyRequestOptions.RelayFactor; an out-of-range one is the originator's coded refusal", () => {
    const c = core()
    const r = c.run({ type: 'key-operation', token: 'r', kind: 'list', key: null, relayFactor: 2 })
    expect(sentQuery(r.effects).RelayFactor).toBe(2)
    const bad = c.run({ type: 'key-operation', token: 'r2', kind: 'list', key: null, relayFactor: 300 })
    expect(bad.result).toMatchObject({ ok: false, error: { code: 'ERR_QUERY_INVALID' } })
    expect(bad.effects).toEqual([])
    expect(c.state.ops.keyOps.size).toBe(1)
  })

  it('the actor stops mid-operation: the caller still gets the partial tally', () => {
    const c = core()
    start(c)
    const s = c.run({ type: 'shutdown' })
    expect(of(s.effects, 'key-operation-done')[0]).toMatchObject({ token: 't1', error: '0/3 nodes reported success' })
  })
})

describe('the _serf_conflict vote about our own name', () => {
  const OTHER = { addr: Uint8Array.of(10, 0, 0, 99), port: 7946 }
  const at = (addr: Uint8Array) => encodeConflictResponse({ ...feedMember('self', 0), addr })

  function vote(c: ReturnType<typeof core>) {
    const r = c.run({ type: 'name-conflict', other: OTHER })
    const q = sentQuery(r.effects)
    expect(q).toMatchObject({ Name: '_serf_conflict', SourceNode: 'self' })
    expect(new TextDecoder().decode(q.Payload!)).toBe('self')
    // We do not answer our own vote (a claimant never does).
    expect(of(r.effects, 'send')).toEqual([])
    return q
  }
  const close = (c: ReturnType<typeof core>, q: SerfQuery) => {
    c.advance(c.state.ev.originator.open.get(String(q.LTime))!.deadlineMs - c.now)
    return c.run({ type: 'timer', id: openQueryTimerId(q.LTime) })
  }

  it('minority: the members place our name elsewhere: name-conflict-lost with the counts, logged as Serf does', () => {
    const c = core()
    const q = vote(c)
    c.run({ type: 'message', bytes: response(q, 'n2', at(OTHER.addr)) })
    c.run({ type: 'message', bytes: response(q, 'n3', at(OTHER.addr)) })
    const r = close(c, q)
    const [lost] = of(r.effects, 'name-conflict-lost')
    expect(lost).toMatchObject({ name: 'self', other: OTHER, decision: { outcome: 'minority', responses: 2, matching: 0, quorum: 2 } })
    expect(of(r.effects, 'log')).toMatchObject([{ level: 'error', msg: 'minority in name conflict resolution, quitting [0 / 2]' }])
    expect(emitTypes(r.effects)).toEqual([])
    expect(counters(c)).toMatchObject({ conflictVotes: 1, conflictMinority: 1 })
    expect(c.state.ops.conflict).toBeNull()
    // Lost once: the node is going down; a later report is counted, never voted on again.
    expect(c.run({ type: 'name-conflict', other: OTHER }).effects).toEqual([])
    expect(counters(c)).toMatchObject({ conflictVotes: 1, conflictReportsAfterLoss: 1 })
  })

  it('majority: the members place our name at our address: logged, no shutdown', () => {
    const c = core()
    const q = vote(c)
    c.run({ type: 'message', bytes: response(q, 'n2', at(Uint8Array.of(10, 0, 0, 1))) })
    c.run({ type: 'message', bytes: response(q, 'n3', at(Uint8Array.of(10, 0, 0, 1))) })
    const r = close(c, q)
    expect(of(r.effects, 'name-conflict-lost')).toEqual([])
    expect(of(r.effects, 'log')).toMatchObject([{ level: 'info', msg: 'majority in name conflict resolution [2 / 2]' }])
    expect(counters(c)).toMatchObject({ conflictMajority: 1 })
  })

  it('[0 / 0] under a flood: inconclusive, we stay and vote again after the backoff; a report meanwhile is merged', () => {
    const c = core()
    const q1 = vote(c)
    // A spoofed answer under our own name is no vote.
    c.run({ type: 'message', bytes: response(q1, 'self', at(OTHER.addr)) })
    const r1 = close(c, q1)
    expect(of(r1.effects, 'name-conflict-lost')).toEqual([])
    expect(of(r1.effects, 'log')[0]).toMatchObject({ level: 'warn', fields: { outcome: 'inconclusive', responses: 0, attempt: 1, fromClaimant: 1 } })
    expect(of(r1.effects, 'set-timer')).toEqual([{ type: 'set-timer', id: CONFLICT_RETRY_TIMER, atMs: c.now + 5_000 }])

    expect(c.run({ type: 'name-conflict', other: OTHER }).effects).toEqual([])
    expect(counters(c).conflictReportsMerged).toBe(1)

    c.advance(5_000)
    const again = c.run({ type: 'timer', id: CONFLICT_RETRY_TIMER })
    const q2 = sentQuery(again.effects)
    expect(q2.LTime).not.toBe(q1.LTime)
    const r2 = close(c, q2)
    expect(of(r2.effects, 'log')[0]).toMatchObject({ fields: { attempt: 2 } })
    expect(of(r2.effects, 'set-timer')[0]!.atMs).toBe(c.now + 10_000)
    expect(counters(c)).toMatchObject({ conflictVotes: 2, conflictInconclusive: 2, conflictMinority: 0 })
  })

  it('one answer of two eligible voters is below the quorum: not a minority', () => {
    const c = core()
    const q = vote(c)
    c.run({ type: 'message', bytes: response(q, 'n2', at(OTHER.addr)) })
    const r = close(c, q)
    expect(of(r.effects, 'name-conflict-lost')).toEqual([])
    expect(of(r.effects, 'log')[0]).toMatchObject({ fields: { outcome: 'inconclusive', responses: 1, quorum: 2 } })
  })

  it('gives up after six inconclusive votes (no more retry timers); a new report starts over', () => {
    const c = core()
    for (let attempt = 1; attempt <= 6; attempt++) {
      const r = attempt === 1 ? c.run({ type: 'name-conflict', other: OTHER }) : (c.advance(60_000), c.run({ type: 'timer', id: CONFLICT_RETRY_TIMER }))
      const closed = close(c, sentQuery(r.effects))
      expect(of(closed.effects, 'set-timer').length).toBe(attempt < 6 ? 1 : 0)
    }
    expect(c.state.ops.conflict).toBeNull()
    expect(sentQuery(c.run({ type: 'name-conflict', other: OTHER }).effects).Name).toBe('_serf_conflict')
  })

  it('the actor stops during a vote: no decision, counted', () => {
    const c = core()
    vote(c)
    const r = c.run({ type: 'shutdown' })
    expect(of(r.effects, 'name-conflict-lost')).toEqual([])
    expect(counters(c)).toMatchObject({ conflictVotesAborted: 1 })
  })
})

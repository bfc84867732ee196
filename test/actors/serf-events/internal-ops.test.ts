/**
 * internal-ops.ts: what happens to a result or the close of one of our own internal queries (a
 * key operation's tally, the conflict vote's decision), table-driven; pure data in and out.
 */
import { describe, expect, it } from 'vitest'
import { encodeConflictResponse } from '../../../actors/serf-events/conflict-response.ts'
import { startConflictVote } from '../../../actors/serf-events/conflict-vote.ts'
import type { QueryClosedOut, QueryResultOut } from '../../../actors/serf-events/effects.ts'
import { CONFLICT_RETRY_TIMER, createInternalOps, hostPort, ownQueryEvent } from '../../../actors/serf-events/internal-ops.ts'
import type { InternalOpsState } from '../../../actors/serf-events/internal-ops.ts'
import { startKeyTally } from '../../../actors/serf-events/key-operation-tally.ts'
import { encodeSerfMessage } from '../../../src/wire/serf.ts'

const US = Uint8Array.of(10, 0, 0, 1)
const OTHER = { addr: Uint8Array.of(10, 0, 0, 99), port: 7946 }
const at = (addr: Uint8Array) => encodeConflictResponse({ name: 'me', addr, port: 7946, tags: {}, status: 'alive', protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 })
const response = (from: string, payload: Uint8Array, ltime = 7n, id = 1): QueryResultOut => ({ type: 'query-result', ltime, id, kind: 'response', from, payload })
const closed = (reason: 'deadline' | 'aborted', ltime = 7n, id = 1): QueryClosedOut => ({ type: 'query-closed', ltime, id, reason, acks: 0, responses: 0 })

function voting(eligibleVoters: number, attempt = 1): InternalOpsState {
  return { ...createInternalOps(), conflict: { other: OTHER, attempt }, vote: { ltime: 7n, id: 1, vote: startConflictVote({ localName: 'me', localAddr: US, localPort: 7946, eligibleVoters, attempt }) } }
}

function run(ops: InternalOpsState, events: Array<QueryResultOut | QueryClosedOut>) {
  let step = null
  for (const e of events) {
    step = ownQueryEvent(ops, e, 'me', 1_000)
    if (step !== null) ops = step.ops
  }
  return step!
}

describe('ownQueryEvent: the conflict vote', () => {
  it.each([
    { name: 'minority: shut down', voters: 2, answers: [at(OTHER.addr), at(OTHER.addr)], counter: 'conflictMinority', lost: true, timer: false, level: 'error' },
    { name: 'majority: stay', voters: 2, answers: [at(US), at(US)], counter: 'conflictMajority', lost: false, timer: false, level: 'info' },
    { name: 'a tie is a minority (Serf)', voters: 2, answers: [at(US), at(OTHER.addr)], counter: 'conflictMinority', lost: true, timer: false, level: 'error' },
    { name: 'no answer of 2 voters: inconclusive, retry', voters: 2, answers: [], counter: 'conflictInconclusive', lost: false, timer: true, level: 'warn' },
    { name: '[0 / 0] with nobody to ask: inconclusive, retry', voters: 0, answers: [], counter: 'conflictInconclusive', lost: false, timer: true, level: 'warn' },
    { name: 'below quorum (1 of 4 voters)', voters: 4, answers: [at(OTHER.addr)], counter: 'conflictInconclusive', lost: false, timer: true, level: 'warn' },
  ])('$name', ({ voters, answers, counter, lost, timer, level }) => {
    const s = run(voting(voters), [...answers.map((p, i) => response(`w${i}`, p)), closed('deadline')])
    expect(s.counters).toEqual([counter])
    expect(s.effects.filter((e) => e.type === 'name-conflict-lost').length).toBe(lost ? 1 : 0)
    expect(s.effects.filter((e) => e.type === 'set-timer')).toEqual(timer ? [{ type: 'set-timer', id: CONFLICT_RETRY_TIMER, atMs: 6_000 }] : [])
    expect(s.effects.find((e) => e.type === 'log')).toMatchObject({ level, fields: { other: '10.0.0.99:7946' } })
    expect(s.ops.vote).toBeNull()
    expect(s.ops.lost).toBe(lost)
    expect(s.ops.conflict === null).toBe(!timer)
    if (timer) expect(s.ops.conflict!.attempt).toBe(2)
  })

  it('the sixth inconclusive vote gives up: no timer, the conflict is dropped', () => {
    const s = run(voting(2, 6), [closed('deadline')])
    expect(s.effects.map((e) => e.type)).toEqual(['log'])
    expect(s.ops.conflict).toBeNull()
  })

  it('aborted (shutdown): no decision; another query or an unknown ID: not ours (null)', () => {
    expect(run(voting(2), [closed('aborted')])).toMatchObject({ counters: ['conflictVotesAborted'], effects: [], ops: { vote: null, conflict: null } })
    expect(ownQueryEvent(voting(2), closed('deadline', 8n), 'me', 0)).toBeNull()
    expect(ownQueryEvent(voting(2), response('w', at(US), 7n, 2), 'me', 0)).toBeNull()
  })
})

describe('ownQueryEvent: a key operation', () => {
  const ok = encodeSerfMessage({ type: 'keyResponse', Result: true, Message: '', Keys: null, PrimaryKey: '' })
  const withOp = (numNodes: number): InternalOpsState => ({ ...createInternalOps(), keyOps: new Map([['7', { token: 't', ltime: 7n, id: 1, tally: startKeyTally('install', numNodes), done: false }]]) })

  it('the last answer finishes it and asks to close the query; the close then only forgets it', () => {
    const first = ownQueryEvent(withOp(2), response('a', ok), 'me', 0)!
    expect(first.effects).toEqual([])
    const last = ownQueryEvent(first.ops, response('b', ok), 'me', 0)!
    expect(last).toMatchObject({ closeNow: 7n, effects: [{ type: 'key-operation-done', token: 't', error: null, response: { numResp: 2, numNodes: 2 } }] })
    const close = ownQueryEvent(last.ops, closed('aborted'), 'me', 0)!
    expect(close.effects).toEqual([])
    expect(close.ops.keyOps.size).toBe(0)
  })

  it('closed at the deadline with answers missing: the caller gets the partial tally', () => {
    const s = ownQueryEvent(withOp(3), closed('deadline'), 'me', 0)!
    expect(s.effects).toMatchObject([{ type: 'key-operation-done', error: '0/3 nodes reported success' }])
  })

  it('hostPort: IPv4, IPv6 and odd lengths', () => {
    expect(hostPort(US, 1)).toBe('10.0.0.1:1')
    expect(hostPort(new Uint8Array(16), 2)).toBe('[::]:2')
    expect(hostPort(Uint8Array.of(1, 2), 3)).toBe('<0102>:3')
  })
})

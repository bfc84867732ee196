/**
 * The member-manager core as a pure function: `step(state, input)` returns the next state and the
 * effects as data, and never writes the state it was given.
 */
import { describe, expect, it } from 'vitest'
import { initialCoreState, step } from '../../../actors/member-manager/core.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import type { MemberCoreInput, MemberCoreState } from '../../../actors/member-manager/member-effects.ts'
import { membersOf, statsOf } from '../../../actors/member-manager/member-reads.ts'
import { encodeSerfMessage } from '../../../src/wire/index.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { node } from './fixtures.ts'

function deepFreeze(v: unknown, seen = new Set<unknown>()): void {
  if (typeof v !== 'object' || v === null || seen.has(v) || ArrayBuffer.isView(v)) return
  seen.add(v)
  for (const x of Object.values(v)) deepFreeze(x, seen)
  Object.freeze(v)
}

const fresh = (init: Partial<Parameters<typeof createSerfConfig>[0]> = {}) =>
  step(initialCoreState(createSerfConfig({ nodeName: 'self', broadcastTimeoutMs: 5000, leavePropagateDelayMs: 1000, ...init })), { type: 'start', restored: {} }).state

/** Steps through `inputs`, each on a deep-frozen state; returns the last state. */
function run(state: MemberCoreState, inputs: MemberCoreInput[]): MemberCoreState {
  for (const input of inputs) {
    deepFreeze(state)
    const before = structuredClone(state)
    const next = step(state, input).state
    expect(state).toEqual(before)
    state = next
  }
  return state
}

describe('member-manager core step', () => {
  it('never writes the state it is given, whatever the input (every input kind on a deep-frozen state)', () => {
    const random = createSeededRandom(4)
    const inputs: MemberCoreInput[] = [
      { type: 'node-joined', node: node('self'), now: 0 },
      { type: 'node-joined', node: node('a'), now: 0 },
      { type: 'nodes-changed', changes: [{ kind: 'joined', node: node('b') }, { kind: 'joined', node: node('p') }, { kind: 'state', node: { ...node('c'), state: 'alive' } }], now: 1 },
      { type: 'node-updated', node: node('a', { role: 'db' }), now: 2 },
      { type: 'node-left', node: node('b'), now: 3 },
      { type: 'name-conflict', existing: node('a'), other: { addr: Uint8Array.of(10, 0, 0, 1), port: 1 } },
      { type: 'user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'a', LTime: 8n }), now: 4 },
      { type: 'user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'unknown', LTime: 8n, Prune: false }), now: 4 },
      { type: 'user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'p', LTime: 9n, Prune: true }), now: 4 },
      { type: 'user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'self', LTime: 20n, Prune: false }), now: 4 }, // refuted
      { type: 'user-message', bytes: Uint8Array.of(3, 1, 2), now: 4 },
      { type: 'set-tags', tags: { role: 'web' } },
      { type: 'join-completed', numJoined: 2, reconnect: false, now: 5 },
      { type: 'reconnect-tick', random },
      { type: 'prune-due', name: 'p', now: 6000 },
      { type: 'reap-tick', now: 100 * 3600_000 },
      { type: 'begin-leave', notifyTo: 'member-manager', now: 7 },
      { type: 'finish-leave' },
      { type: 'shutdown' },
    ]
    const end = run(fresh(), inputs)
    expect(membersOf(end).members.map((m) => `${m.name}:${m.status}`)).toEqual(['self:leaving', 'a:alive', 'c:alive'])
    expect(end.table.localState).toBe('shutdown')
    expect(statsOf(end)).toMatchObject({ leaveRefutations: 1, passedThrough: 1, nameConflicts: { remote: 1, local: 0 }, reaped: 2 })
  })

  it('returns effects as data, in order, and the same state object when nothing changed', () => {
    const s0 = fresh()
    const joined = step(s0, { type: 'node-joined', node: node('a'), now: 5 })
    expect(joined.effects.map((e) => e.type)).toEqual(['event', 'snapshot', 'cluster-size'])
    expect(joined.effects[0]).toMatchObject({ msg: { type: 'member.event', event: 'member-join', members: [{ name: 'a', status: 'alive' }] } })
    expect(joined.effects[2]).toEqual({ type: 'cluster-size', numMembers: 1 })
    const s1 = joined.state
    for (const input of [
      { type: 'join-completed', numJoined: 0, reconnect: false, now: 6 },
      { type: 'prune-due', name: 'nobody', now: 6 },
      { type: 'reconnect-tick', random: createSeededRandom(1) },
      { type: 'start', restored: {} },
    ] satisfies MemberCoreInput[]) {
      const r = step(s1, input)
      expect(r.state).toBe(s1)
      expect(r.effects).toEqual([])
    }
    // A leave with Prune of a leaving member asks for a timer; the intent is re-broadcast.
    const s2 = step(s1, { type: 'user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'a', LTime: 3n, Prune: true }), now: 7 })
    expect(s2.effects.map((e) => e.type)).toEqual(['schedule-prune', 'broadcast', 'snapshot'])
    expect(s2.effects[0]).toEqual({ type: 'schedule-prune', name: 'a', delayMs: 6000 })
  })

  it('refuses tags too large as a `rejected` effect, the state unchanged', () => {
    const s = fresh()
    const r = step(s, { type: 'set-tags', tags: { big: 'x'.repeat(600) } })
    expect(r.state).toBe(s)
    expect(r.effects).toHaveLength(1)
    expect(r.effects[0]).toMatchObject({ type: 'rejected', error: { code: 'ERR_MEMBER_TAGS_TOO_LARGE' } })
  })

  it('notes the leave in progress in the state (the id gossip-queue reports it under, and whether to wait)', () => {
    const alone = step(fresh(), { type: 'begin-leave', notifyTo: 'mm', now: 0 }).state
    expect(alone.leave).toEqual({ notifyId: 'leave-1', waitForBroadcast: false })
    const s = run(fresh(), [
      { type: 'node-joined', node: node('self'), now: 0 },
      { type: 'node-joined', node: node('peer'), now: 0 },
    ])
    const r = step(s, { type: 'begin-leave', notifyTo: 'mm', now: 0 })
    expect(r.state.leave).toEqual({ notifyId: 'leave-1', waitForBroadcast: true })
    expect(r.effects.find((e) => e.type === 'broadcast')).toMatchObject({ broadcast: { queue: 'serf-intent', notify: { to: 'mm', id: 'leave-1' } } })
  })
})

import { describe, expect, it } from 'vitest'
import {
  coalesceMemberEvent,
  coalesceUserEvent,
  createMemberCoalescer,
  createUserCoalescer,
  flushMembers,
  MEMBER_COALESCE_TIMER,
  memberCoalescerTimer,
  USER_COALESCE_TIMER,
  userCoalescerTimer,
} from '../../../actors/serf-events/coalescer.ts'
import type { MemberCoalescerState, UserCoalescerState } from '../../../actors/serf-events/coalescer.ts'
import type { MemberEventKind, SerfEventsEffect, UserEventOut } from '../../../actors/serf-events/effects.ts'
import { emitted, ofType } from './support.ts'

type M = { name: string; v?: number }
const cfg = { coalescePeriodMs: 3000, quiescentPeriodMs: 1000, maxCoalescedMembers: 100 }
const ucfg = { userCoalescePeriodMs: 3000, userQuiescentPeriodMs: 1000, maxCoalescedUserEvents: 100 }
const Q = `${MEMBER_COALESCE_TIMER}:quantum`
const QS = `${MEMBER_COALESCE_TIMER}:quiescent`

/** Runs member events through the coalescer on a simulated clock that fires the timers the effects arm. */
function runMembers(steps: { at: number; event?: MemberEventKind; name?: string }[], until: number, c = cfg) {
  let s: MemberCoalescerState<M> = createMemberCoalescer<M>()
  const timers = new Map<string, number>()
  const out: { at: number; event: string; members: string[] }[] = []
  const apply = (effects: SerfEventsEffect[], at: number) => {
    for (const e of effects) {
      if (e.type === 'set-timer') timers.set(e.id, e.atMs)
      else if (e.type === 'cancel-timer') timers.delete(e.id)
      else if (e.type === 'emit' && e.event.type === 'member-event') out.push({ at, event: e.event.event, members: (e.event.members as M[]).map((m) => m.name) })
    }
  }
  const fireDue = (now: number) => {
    for (;;) {
      const due = [...timers].filter(([, t]) => t <= now).sort((a, b) => a[1] - b[1])[0]
      if (due === undefined) return
      timers.delete(due[0])
      const r = memberCoalescerTimer(s, due[0], c)
      s = r.state
      apply(r.effects, due[1])
    }
  }
  for (const st of steps) {
    fireDue(st.at)
    const r = coalesceMemberEvent(s, { event: st.event!, members: [{ name: st.name! }] }, st.at, c)
    s = r.state
    apply(r.effects, st.at)
  }
  fireDue(until)
  return { out, state: s, timers }
}

describe('member coalescer', () => {
  it.each([
    {
      name: 'flushes 1 s after the last event (quiescent), one event per type',
      steps: [
        { at: 0, event: 'member-join', name: 'a' },
        { at: 200, event: 'member-join', name: 'b' },
        { at: 400, event: 'member-failed', name: 'c' },
      ],
      want: [
        { at: 1400, event: 'member-join', members: ['a', 'b'] },
        { at: 1400, event: 'member-failed', members: ['c'] },
      ],
    },
    {
      name: 'flushes at 3 s (quantum) when events keep coming',
      steps: [0, 800, 1600, 2400, 3200].map((at, i) => ({ at, event: 'member-join' as const, name: `n${i}` })),
      want: [
        { at: 3000, event: 'member-join', members: ['n0', 'n1', 'n2', 'n3'] },
        { at: 4200, event: 'member-join', members: ['n4'] },
      ],
    },
    {
      name: 'keeps the last type per member',
      steps: [
        { at: 0, event: 'member-join', name: 'a' },
        { at: 100, event: 'member-failed', name: 'a' },
      ],
      want: [{ at: 1100, event: 'member-failed', members: ['a'] }],
    },
    {
      name: 'suppresses a repeat of the last emitted type',
      steps: [
        { at: 0, event: 'member-join', name: 'a' },
        { at: 5000, event: 'member-join', name: 'a' },
      ],
      want: [{ at: 1000, event: 'member-join', members: ['a'] }],
    },
    {
      name: 'never suppresses an update',
      steps: [
        { at: 0, event: 'member-update', name: 'a' },
        { at: 5000, event: 'member-update', name: 'a' },
      ],
      want: [
        { at: 1000, event: 'member-update', members: ['a'] },
        { at: 6000, event: 'member-update', members: ['a'] },
      ],
    },
    {
      name: 'does not emit a stale update again when another member flushes later',
      steps: [
        { at: 0, event: 'member-update', name: 'a' },
        { at: 5000, event: 'member-join', name: 'b' },
      ],
      want: [
        { at: 1000, event: 'member-update', members: ['a'] },
        { at: 6000, event: 'member-join', members: ['b'] },
      ],
    },
    {
      name: 'a member that failed and rejoins is reported both times',
      steps: [
        { at: 0, event: 'member-join', name: 'a' },
        { at: 5000, event: 'member-failed', name: 'a' },
        { at: 10_000, event: 'member-join', name: 'a' },
      ],
      want: [
        { at: 1000, event: 'member-join', members: ['a'] },
        { at: 6000, event: 'member-failed', members: ['a'] },
        { at: 11_000, event: 'member-join', members: ['a'] },
      ],
    },
  ] as { name: string; steps: { at: number; event: MemberEventKind; name: string }[]; want: object[] }[])('$name', ({ steps, want }) => {
    const r = runMembers(steps, 60_000)
    expect(r.out).toEqual(want)
    expect(r.timers.size).toBe(0) // nothing left armed
  })

  it('passes events straight through when coalescing is off (library default)', () => {
    const r = coalesceMemberEvent(createMemberCoalescer<M>(), { event: 'member-join', members: [{ name: 'a' }] }, 0, { coalescePeriodMs: 0, quiescentPeriodMs: 0, maxCoalescedMembers: 10 })
    expect(emitted(r.effects)).toEqual([{ type: 'member-event', event: 'member-join', members: [{ name: 'a' }] }])
    expect(r.state.stats.passedThrough).toBe(1)
  })

  it('flushes early when maxCoalescedMembers members are held, cancelling its timers', () => {
    const r = runMembers([0, 1, 2].map((at) => ({ at, event: 'member-join' as const, name: `n${at}` })), 2, { ...cfg, maxCoalescedMembers: 3 })
    expect(r.out).toEqual([{ at: 2, event: 'member-join', members: ['n0', 'n1', 'n2'] }])
    expect(r.state.stats.earlyFlushes).toBe(1)
    expect(r.timers.size).toBe(0)
  })

  it('ignores (and counts) a timer it did not arm', () => {
    const s = memberCoalescerTimer(createMemberCoalescer<M>(), Q, cfg)
    expect(s.effects).toEqual([])
    expect(s.state.stats.staleTimers).toBe(1)
  })

  it('re-arms the quiescent timer on every event but the quantum only once per batch', () => {
    let s = createMemberCoalescer<M>()
    const a = coalesceMemberEvent(s, { event: 'member-join', members: [{ name: 'a' }] }, 0, cfg)
    s = a.state
    const b = coalesceMemberEvent(s, { event: 'member-join', members: [{ name: 'b' }] }, 500, cfg)
    expect(ofType(a.effects, 'set-timer')).toEqual([
      { type: 'set-timer', id: Q, atMs: 3000 },
      { type: 'set-timer', id: QS, atMs: 1000 },
    ])
    expect(ofType(b.effects, 'set-timer')).toEqual([{ type: 'set-timer', id: QS, atMs: 1500 }])
  })

  it('bounds its memory of last types, forgetting the oldest, and forgets reaped members', () => {
    let s = createMemberCoalescer<M>()
    for (const n of ['a', 'b', 'c']) s = coalesceMemberEvent(s, { event: 'member-join', members: [{ name: n }] }, 0, cfg).state
    s = flushMembers(s, { maxCoalescedMembers: 2 }).state
    expect([...s.last.keys()]).toEqual(['b', 'c'])
    expect(s.stats.lastForgotten).toBe(1)
    s = flushMembers(coalesceMemberEvent(s, { event: 'member-reap', members: [{ name: 'b' }] }, 0, cfg).state, cfg).state
    expect([...s.last.keys()]).toEqual(['c'])
  })
})

describe('user event coalescer', () => {
  const ue = (name: string, ltime: bigint, p = 0, coalesce = true): UserEventOut => ({ type: 'user-event', ltime, name, payload: Uint8Array.of(p), coalesce })
  const feed = (events: UserEventOut[]): UserCoalescerState => events.reduce((s, e) => coalesceUserEvent(s, e, 0, ucfg).state, createUserCoalescer())

  it.each([
    { name: 'the newest LTime per name wins', events: [ue('deploy', 1n), ue('deploy', 2n)], want: [['deploy', 2n, 0]], superseded: 1 },
    { name: 'an older one after a newer is dropped', events: [ue('deploy', 2n), ue('deploy', 1n)], want: [['deploy', 2n, 0]], superseded: 1 },
    { name: 'events with the same newest LTime are all kept', events: [ue('deploy', 2n, 1), ue('deploy', 2n, 2), ue('deploy', 1n)], want: [['deploy', 2n, 1], ['deploy', 2n, 2]], superseded: 1 },
    { name: 'names are independent', events: [ue('a', 5n), ue('b', 1n)], want: [['a', 5n, 0], ['b', 1n, 0]], superseded: 0 },
  ])('$name', ({ events, want, superseded }) => {
    const s = feed(events)
    const flushed = userCoalescerTimer(s, `${USER_COALESCE_TIMER}:quiescent`)
    expect(emitted(flushed.effects).map((e) => { const u = e as UserEventOut; return [u.name, u.ltime, u.payload![0]] })).toEqual(want)
    expect(s.stats.superseded).toBe(superseded)
    expect(flushed.state.count).toBe(0)
  })

  it('passes CC=false events straight through, and everything when coalescing is off', () => {
    expect(emitted(coalesceUserEvent(createUserCoalescer(), ue('x', 1n, 0, false), 0, ucfg).effects)).toHaveLength(1)
    expect(emitted(coalesceUserEvent(createUserCoalescer(), ue('x', 1n), 0, { userCoalescePeriodMs: 0, userQuiescentPeriodMs: 0, maxCoalescedUserEvents: 10 }).effects)).toHaveLength(1)
  })

  it('flushes early at maxCoalescedUserEvents held', () => {
    let s = createUserCoalescer()
    const outs: number[] = []
    for (let i = 0; i < 3; i++) {
      const r = coalesceUserEvent(s, ue(`n${i}`, 1n), 0, { ...ucfg, maxCoalescedUserEvents: 3 })
      outs.push(emitted(r.effects).length)
      s = r.state
    }
    expect(outs).toEqual([0, 0, 3])
    expect(s.stats.earlyFlushes).toBe(1)
  })

  it('ignores a stale timer', () => {
    expect(userCoalescerTimer(createUserCoalescer(), `${USER_COALESCE_TIMER}:quantum`).state.stats.staleTimers).toBe(1)
  })
})

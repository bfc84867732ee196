import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createUserEventRing, mergeRemoteEvents, receiveUserEvent, recordUserEvent, ringForPushPull } from '../../../actors/serf-events/user-event-ring.ts'
import type { UserEventRingState } from '../../../actors/serf-events/user-event-ring.ts'
import { encodeSerfMessage } from '../../../src/wire/serf.ts'
import type { SerfUserEvent } from '../../../src/wire/serf.ts'
import { emitted, ofType } from './support.ts'

const ring = (over: { clock?: bigint; minTime?: bigint; size?: number; maxEventsPerSlot?: number } = {}): UserEventRingState =>
  createUserEventRing({ size: over.size ?? 512, maxEventsPerSlot: over.maxEventsPerSlot ?? 64, clock: over.clock ?? 1n, minTime: over.minTime ?? 0n })
const ev = (LTime: bigint, Name = 'deploy', Payload: Uint8Array | null = Uint8Array.of(1), CC = false): SerfUserEvent => ({ type: 'userEvent', LTime, Name, Payload, CC })

describe('user-event-ring', () => {
  // Each row: a fresh ring at `clock` (min time `min`) first receives `first` (if any), then `msg`.
  it.each([
    { name: 'a new event is delivered', clock: 1n, min: 0n, first: undefined, msg: ev(5n), outcome: 'delivered' },
    { name: 'the same LTime, name and payload is a duplicate', clock: 1n, min: 0n, first: ev(5n), msg: ev(5n), outcome: 'duplicate' },
    { name: 'nil and empty payloads are the same (bytes.Equal)', clock: 1n, min: 0n, first: ev(5n, 'x', null), msg: ev(5n, 'x', new Uint8Array(0)), outcome: 'duplicate' },
    { name: 'the same LTime with another payload is delivered', clock: 1n, min: 0n, first: ev(5n), msg: ev(5n, 'deploy', Uint8Array.of(2)), outcome: 'delivered' },
    { name: 'the same LTime with another name is delivered', clock: 1n, min: 0n, first: ev(5n), msg: ev(5n, 'other'), outcome: 'delivered' },
    { name: 'the CC flag does not take part in dedupe', clock: 1n, min: 0n, first: ev(5n), msg: ev(5n, 'deploy', Uint8Array.of(1), true), outcome: 'duplicate' },
    { name: 'an LTime sharing the slot (5 + 512) replaces it', clock: 1n, min: 0n, first: ev(5n), msg: ev(517n), outcome: 'delivered' },
    { name: 'older than clock - 512 is too old', clock: 1000n, min: 0n, first: undefined, msg: ev(487n), outcome: 'too-old' },
    { name: 'exactly clock - 512 is inside the window', clock: 1000n, min: 0n, first: undefined, msg: ev(488n), outcome: 'delivered' },
    { name: 'no window while the clock is <= 512', clock: 512n, min: 0n, first: undefined, msg: ev(0n), outcome: 'delivered' },
    { name: 'below the min time after a snapshot replay', clock: 42n, min: 42n, first: undefined, msg: ev(41n), outcome: 'before-min-time' },
    { name: 'at the min time', clock: 42n, min: 42n, first: undefined, msg: ev(42n), outcome: 'delivered' },
  ])('$name', ({ clock, min, first, msg, outcome }) => {
    let s = ring({ clock, minTime: min })
    if (first !== undefined) s = receiveUserEvent(s, first, encodeSerfMessage(first)).state
    const r = receiveUserEvent(s, msg, encodeSerfMessage(msg))
    expect(r.outcome).toBe(outcome)
    const broadcasts = ofType(r.effects, 'broadcast')
    if (outcome === 'delivered') {
      expect(emitted(r.effects)).toEqual([{ type: 'user-event', ltime: msg.LTime, name: msg.Name, payload: msg.Payload, coalesce: msg.CC }])
      expect(broadcasts).toHaveLength(1)
    } else {
      expect(r.effects).toEqual([])
    }
    const counter = { delivered: 'delivered', duplicate: 'duplicates', 'too-old': 'tooOld', 'before-min-time': 'beforeMinTime' }[outcome] as keyof UserEventRingState['stats']
    expect(r.state.stats[counter]).toBe(s.stats[counter] + 1)
  })

  it('witnesses the LTime before any filtering, even for a dropped event', () => {
    const s = ring({ clock: 42n, minTime: 42n })
    expect(receiveUserEvent(s, ev(41n), encodeSerfMessage(ev(41n))).state.clock).toBe(42n)
    expect(receiveUserEvent(s, ev(100n), encodeSerfMessage(ev(100n))).state.clock).toBe(101n)
  })

  it('rebroadcasts the exact received bytes (a copy), not a re-encoding', () => {
    const bytes = Uint8Array.from([...encodeSerfMessage(ev(7n)), 0xc0]) // trailing byte a re-encode would drop
    const r = receiveUserEvent(ring(), ev(7n), bytes)
    const [b] = ofType(r.effects, 'broadcast')
    expect(b).toMatchObject({ queue: 'serf-event' })
    expect(b!.message).toEqual(bytes)
    expect(b!.message).not.toBe(bytes)
  })

  it('counts an event past maxEventsPerSlot at one LTime instead of growing the slot', () => {
    let s = ring({ maxEventsPerSlot: 2 })
    for (const p of [1, 2]) s = recordUserEvent(s, ev(5n, 'n', Uint8Array.of(p))).state
    const r = recordUserEvent(s, ev(5n, 'n', Uint8Array.of(3)))
    expect(r.outcome).toBe('slot-full')
    expect(r.state.stats.slotFull).toBe(1)
    expect(r.state.slots[5]!.events).toHaveLength(2)
  })

  it('does not change the state it was given', () => {
    const s = ring()
    receiveUserEvent(s, ev(9n), encodeSerfMessage(ev(9n)))
    expect(s.slots[9]).toBeNull()
    expect(s.stats.delivered).toBe(0)
  })

  it('exports the ring for push/pull and replays a remote ring through dedupe, raising the min time on a join', () => {
    let local = ring()
    local = recordUserEvent(local, ev(3n, 'a')).state
    const remote = ringForPushPull(recordUserEvent(recordUserEvent(ring(), ev(3n, 'a')).state, ev(4n, 'b')).state)
    expect(remote.Events).toHaveLength(512)
    expect(remote.EventLTime).toBe(5n)
    const merged = mergeRemoteEvents(local, remote, { join: false, ignoreOld: true })
    expect(emitted(merged.effects).map((e) => (e as { name: string }).name)).toEqual(['b']) // 'a' is a duplicate
    expect(merged.state.clock).toBe(5n) // witnessed EventLTime - 1 = 4, then the replayed LTime 4
    expect(ofType(merged.effects, 'broadcast')).toEqual([])
    const joined = mergeRemoteEvents(ring(), remote, { join: true, ignoreOld: true })
    expect(joined.state.minTime).toBe(5n)
    expect(emitted(joined.effects)).toEqual([]) // every remote event is older than EventLTime
  })

  it('never delivers one (LTime, name, payload) twice, and never delivers outside the window (property)', () => {
    const arbEvent = fc.record({ LTime: fc.bigInt({ min: 0n, max: 2000n }), Name: fc.constantFrom('a', 'b'), p: fc.integer({ min: 0, max: 2 }) })
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 300 }), (events) => {
        let s = ring({ size: 16 })
        const delivered = new Set<string>()
        for (const e of events) {
          const clockBefore = s.clock
          const r = receiveUserEvent(s, ev(e.LTime, e.Name, Uint8Array.of(e.p)), new Uint8Array([3]))
          const key = `${e.LTime}/${e.Name}/${e.p}`
          if (r.outcome === 'delivered') {
            // A slot is reused only by a newer LTime, after which the older one is outside the
            // window: so no key is ever delivered twice.
            expect(delivered.has(key)).toBe(false)
            delivered.add(key)
            const cur = r.state.clock
            expect(cur <= 16n || e.LTime >= cur - 16n).toBe(true)
          }
          expect(r.state.clock >= clockBefore).toBe(true)
          s = r.state
        }
        const st = s.stats
        expect(st.delivered + st.duplicates + st.tooOld + st.beforeMinTime + st.slotFull).toBe(events.length)
      }),
      { numRuns: 200 },
    )
  })
})

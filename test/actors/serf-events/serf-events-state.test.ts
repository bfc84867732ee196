import { describe, expect, it } from 'vitest'
import { createSerfEventsState, serfEventsStats } from '../../../actors/serf-events/serf-events-state.ts'
import { receiveUserEvent } from '../../../actors/serf-events/user-event-ring.ts'
import { config } from './support.ts'

describe('serf-events state', () => {
  it.each([
    { restored: {}, eventTime: 1n, eventMin: 0n, queryTime: 1n, queryMin: 0n },
    { restored: { eventClock: 41n, queryClock: 7n }, eventTime: 42n, eventMin: 42n, queryTime: 8n, queryMin: 8n },
  ])('starts the clocks as Serf.Create does: $restored', ({ restored, eventTime, eventMin, queryTime, queryMin }) => {
    const s = createSerfEventsState(config(), restored)
    expect([s.events.clock, s.events.minTime, s.queries.clock, s.queries.minTime]).toEqual([eventTime, eventMin, queryTime, queryMin])
    expect(s.events.slots).toHaveLength(512)
    expect(s.queries.slots).toHaveLength(512)
  })

  it('sizes the rings from the config', () => {
    const s = createSerfEventsState(config({ eventBuffer: 8, queryBuffer: 4 }))
    expect([s.events.slots.length, s.queries.slots.length]).toEqual([8, 4])
  })

  it('reports every counter in one copied stats object', () => {
    let s = createSerfEventsState(config(), { eventClock: 41n })
    const old = { type: 'userEvent' as const, LTime: 3n, Name: 'x', Payload: null, CC: false }
    s = { ...s, events: receiveUserEvent(s.events, old, new Uint8Array([3])).state }
    const st = serfEventsStats(s)
    expect(st).toMatchObject({ eventTime: 42n, queryTime: 1n, userEvents: { beforeMinTime: 1, delivered: 0 }, originated: { open: 0, started: 0 }, pendingQueries: 0 })
    st.userEvents.beforeMinTime = 99
    expect(s.events.stats.beforeMinTime).toBe(1)
  })
})

import { describe, expect, it } from 'vitest'
import { AGENT_SERF_EVENTS_OVERRIDES, createSerfEventsConfig, DEFAULT_SERF_EVENTS_CONFIG } from '../../../actors/serf-events/config.ts'

describe('serf-events config', () => {
  it("has Serf 0.9.4's library defaults (spec §5.13) and the agent's coalescing overrides", () => {
    const c = createSerfEventsConfig()
    expect(c).toMatchObject({ eventBuffer: 512, queryBuffer: 512, userEventSizeLimit: 512, querySizeLimit: 1024, queryResponseSizeLimit: 1024, queryTimeoutMult: 16, gossipIntervalMs: 200, coalescePeriodMs: 0 })
    expect(createSerfEventsConfig(AGENT_SERF_EVENTS_OVERRIDES)).toMatchObject({ protocolVersion: 5, coalescePeriodMs: 3000, quiescentPeriodMs: 1000, userCoalescePeriodMs: 3000, userQuiescentPeriodMs: 1000 })
    expect(Object.isFrozen(DEFAULT_SERF_EVENTS_CONFIG)).toBe(true)
  })

  it.each([
    { init: { userEventSizeLimit: 9217 }, message: /serfEvents\.userEventSizeLimit must be an integer in \[1, 9216\] \(bytes\) \(got 9217\)/ },
    { init: { eventBuffer: 0 }, message: /serfEvents\.eventBuffer must be a positive integer \(got 0\)/ },
    { init: { queryBuffer: '512' }, message: /serfEvents\.queryBuffer must be a positive integer \(got "512"\)/ },
    { init: { protocolVersion: 6 }, message: /serfEvents\.protocolVersion/ },
    { init: { coalescePeriodMs: 3000 }, message: /serfEvents\.quiescentPeriodMs must be > 0 exactly when coalescePeriodMs is/ },
    { init: { userCoalescePeriodMs: 0, userQuiescentPeriodMs: 5 }, message: /serfEvents\.userQuiescentPeriodMs/ },
    { init: { gossipIntervalMs: -1 }, message: /serfEvents\.gossipIntervalMs/ },
    { init: { eventBufer: 5 }, message: /serfEvents\.eventBufer is not a known field; did you mean eventBuffer\?/ },
  ])('refuses $init with a message naming the field', ({ init, message }) => {
    let caught: unknown
    try {
      createSerfEventsConfig(init as never)
    } catch (err) {
      caught = err
    }
    expect((caught as { code?: string }).code).toBe('ERR_INVALID_CONFIG')
    expect((caught as Error).message).toMatch(message)
  })
})

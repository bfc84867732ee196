import { describe, expect, it } from 'vitest'
import { RestartTracker } from '../../src/runtime/supervisor.ts'
import { createSupervisionOptions } from '../../src/runtime/options.ts'

describe('RestartTracker', () => {
  it.each([
    // crash times -> delays (undefined = escalate)
    { name: 'backs off exponentially, then escalates', times: [0, 10, 20, 30], delays: [100, 200, 400, undefined] },
    { name: 'forgets restarts older than the window', times: [0, 10, 20, 1015], delays: [100, 200, 400, 200] },
    { name: 'caps the delay', times: [0, 1, 2], delays: [100, 200, 400], max: 250, expectCapped: [100, 200, 250] },
  ])('$name', ({ times, delays, max, expectCapped }) => {
    const tracker = new RestartTracker(
      createSupervisionOptions({ maxRestarts: 3, windowMs: 1000, backoffMs: 100, backoffFactor: 2, maxBackoffMs: max ?? 10_000 }),
    )
    const got = times.map((t) => tracker.onCrash(t))
    expect(got).toEqual(expectCapped ?? delays)
  })

  it('escalates at once when no restarts are allowed', () => {
    const tracker = new RestartTracker(createSupervisionOptions({ maxRestarts: 0 }))
    expect(tracker.onCrash(0)).toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { admit } from '../../src/runtime/mailbox-policy.ts'

describe('admit', () => {
  const policy = (overflow: 'backpressure' | 'drop-oldest' | 'reject') => ({ capacity: 4, overflow, backpressureCeiling: 2 })
  it.each([
    ['reject', 3, 'ok'],
    ['reject', 4, 'reject'],
    ['drop-oldest', 3, 'ok'],
    ['drop-oldest', 4, 'drop-oldest'],
    ['backpressure', 3, 'ok'],
    ['backpressure', 4, 'backpressure'],
    ['backpressure', 7, 'backpressure'],
    ['backpressure', 8, 'ceiling'],
  ] as const)('decides %s with %i queued: %s', (overflow, queued, verdict) => {
    expect(admit(queued, policy(overflow))).toBe(verdict)
  })
})

import { describe, expect, it } from 'vitest'
import { joinTally } from '../../../actors/swim/join-tally.ts'
import type { SwimOutput } from '../../../actors/swim/effects.ts'

describe('joinTally (a join over its addresses)', () => {
  it('completes once every address ended, with the count that answered and each failure coded', () => {
    const out: SwimOutput[] = []
    const settled = joinTally(['10.0.0.1:7946', '10.0.0.2:7946'], { reconnect: false, purpose: 'join' }, (o) => out.push(o))
    settled('10.0.0.2:7946', { code: 'ERR_JOIN_TIMEOUT', detail: 'i/o timeout' })
    expect(out).toEqual([])
    settled('10.0.0.1:7946')
    expect(out).toEqual([
      {
        type: 'join-completed',
        numJoined: 1,
        errors: ['Failed to join 10.0.0.2: i/o timeout'],
        failures: [{ address: '10.0.0.2:7946', code: 'ERR_JOIN_TIMEOUT', message: 'Failed to join 10.0.0.2: i/o timeout' }],
        purpose: 'join',
        addresses: ['10.0.0.1:7946', '10.0.0.2:7946'],
      },
    ])
  })

  it('no addresses: completed at once, reaching no one (ERR_JOIN_NO_ADDRESSES); a reconnect says so', () => {
    const out: SwimOutput[] = []
    joinTally([], { reconnect: true }, (o) => out.push(o))
    expect(out).toEqual([{ type: 'join-completed', numJoined: 0, errors: ['no addresses'], failures: [{ address: '', code: 'ERR_JOIN_NO_ADDRESSES', message: 'no addresses' }], reconnect: true }])
  })
})

import { describe, expect, it } from 'vitest'
import { createSwimConfig, LAN_SWIM_CONFIG, LOCAL_SWIM_CONFIG, testConfig, validateSwimConfig, WAN_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import type { SwimConfig } from '../../../actors/swim/config.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'

describe('swim config presets', () => {
  it.each([
    // [preset, field, memberlist 0.2.2 value] (spec §4.1)
    ['lan', 'probeIntervalMs', 1000],
    ['lan', 'probeTimeoutMs', 500],
    ['lan', 'suspicionMult', 4],
    ['lan', 'gossipIntervalMs', 200],
    ['lan', 'pushPullIntervalMs', 30_000],
    ['lan', 'udpBufferSize', 1400],
    ['wan', 'probeIntervalMs', 5000],
    ['wan', 'probeTimeoutMs', 3000],
    ['wan', 'suspicionMult', 6],
    ['wan', 'gossipNodes', 4],
    ['wan', 'gossipToTheDeadTimeMs', 60_000],
    ['local', 'indirectChecks', 1],
    ['local', 'retransmitMult', 2],
    ['local', 'probeTimeoutMs', 200],
    ['local', 'tcpTimeoutMs', 1000],
  ] as const)('%s.%s = %d', (preset, field, value) => {
    expect(createSwimConfig({}, preset)[field]).toBe(value)
  })

  it('validates every preset', () => {
    for (const c of [LAN_SWIM_CONFIG, WAN_SWIM_CONFIG, LOCAL_SWIM_CONFIG]) expect(() => validateSwimConfig({ ...c })).not.toThrow()
    expect(testConfig().probeIntervalMs).toBeLessThan(LAN_SWIM_CONFIG.probeIntervalMs)
  })

  it('spreads init over the preset', () => {
    const c = createSwimConfig({ gossipNodes: 5, failureDetector: 'phi' })
    expect(c.gossipNodes).toBe(5)
    expect(c.failureDetector).toBe('phi')
    expect(c.probeIntervalMs).toBe(1000)
  })
})

describe('validateSwimConfig', () => {
  const cases: Array<[string, Partial<SwimConfig>, string]> = [
    ['negative probe interval', { probeIntervalMs: -1 }, 'swim.probeIntervalMs'],
    ['fractional indirect checks', { indirectChecks: 1.5 }, 'swim.indirectChecks'],
    ['timeout not below interval', { probeTimeoutMs: 1000, probeIntervalMs: 1000 }, 'swim.probeTimeoutMs'],
    ['gossip nodes without interval', { gossipIntervalMs: 0 }, 'swim.gossipIntervalMs'],
    ['tiny udp buffer', { udpBufferSize: 10 }, 'swim.udpBufferSize'],
    ['push/pull faster than probes', { pushPullIntervalMs: 10 }, 'swim.pushPullIntervalMs'],
    ['unknown detector', { failureDetector: 'magic' as never }, 'swim.failureDetector'],
    ['zero phi threshold', { phiThreshold: 0 }, 'swim.phiThreshold'],
    ['non-boolean compression', { enableCompression: 'yes' as never }, 'swim.enableCompression'],
    ['tcp timeout below probe timeout', { tcpTimeoutMs: 100 }, 'swim.tcpTimeoutMs'],
    ['protocol version 9', { protocolVersion: 9 }, 'swim.protocolVersion'],
    ['a keyring that is not a Keyring', { keyring: ['secret'] as never }, 'swim.keyring'],
    ['non-boolean verify incoming', { gossipVerifyIncoming: 1 as never }, 'swim.gossipVerifyIncoming'],
    ['non-boolean stale refresh', { staleSuspicionRefresh: 'on' as never }, 'swim.staleSuspicionRefresh'],
  ]
  it.each(cases)('rejects %s naming the field', (_name, init, field) => {
    let caught: unknown
    try {
      createSwimConfig(init)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(InvalidConfigError)
    expect((caught as InvalidConfigError).code).toBe('ERR_INVALID_CONFIG')
    expect((caught as InvalidConfigError).message).toContain(field)
    expect((caught as InvalidConfigError).details).toEqual({ field })
  })
})

/**
 * swim's config refuses what it cannot use: a misspelled field (with the known name it was probably
 * meant to be), a config that is not an object, values of the wrong type with the received value
 * shown as it was given, and a preset that is not one.
 */
import { describe, expect, it } from 'vitest'
import { createSwimConfig, LAN_SWIM_CONFIG, validateSwimConfig } from '../../../actors/swim/config.ts'
import type { SwimConfig, SwimInit, SwimPreset } from '../../../actors/swim/config.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'

function refusal(fn: () => unknown): { field: unknown; message: string } {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError)
    expect((err as InvalidConfigError).code).toBe('ERR_INVALID_CONFIG')
    return { field: (err as InvalidConfigError).details?.['field'], message: (err as Error).message }
  }
  throw new Error('the config was accepted')
}

describe('swim config fields', () => {
  it('refuses a misspelled field, suggesting the known one', () => {
    expect(refusal(() => createSwimConfig({ probeIntervall: 500 } as SwimInit))).toEqual({
      field: 'swim.probeIntervall',
      message: 'swim.probeIntervall is not a known field; did you mean probeIntervalMs?',
    })
  })

  it('refuses an unknown field in a whole config too', () => {
    expect(refusal(() => validateSwimConfig({ ...LAN_SWIM_CONFIG, gossipNode: 3 } as SwimConfig)).message).toBe(
      'swim.gossipNode is not a known field; did you mean gossipNodes?',
    )
  })

  it.each([['x'], [42], [null], [['probeIntervalMs']]])('refuses %j as the config', (init) => {
    expect(refusal(() => createSwimConfig(init as SwimInit)).field).toBe('swim')
  })

  it('shows the received value with its type', () => {
    expect(refusal(() => createSwimConfig({ tcpTimeoutMs: '10' } as never)).message).toBe('swim.tcpTimeoutMs must be an integer in [1, 3600000] (got "10")')
    expect(refusal(() => createSwimConfig({ probeIntervalMs: Number.NaN })).message).toBe('swim.probeIntervalMs must be an integer in [1, 3600000] (got NaN)')
    expect(refusal(() => createSwimConfig({ enableCompression: 'yes' } as never)).message).toBe('swim.enableCompression must be true or false (got "yes")')
    expect(refusal(() => createSwimConfig({ failureDetector: 'magic' } as never)).message).toBe('swim.failureDetector must be one of "lifeguard", "phi" (got "magic")')
    expect(refusal(() => createSwimConfig({ phiThreshold: '8' } as never)).message).toBe('swim.phiThreshold must be a finite number > 0 (got "8")')
    expect(refusal(() => createSwimConfig({ keys: 'c2VjcmV0' } as never)).message).toContain('(got "c2VjcmV0")')
  })

  it('refuses a preset that is not one, including names every object has', () => {
    for (const preset of ['toString', 'constructor', 'LAN', 'x']) {
      expect(refusal(() => createSwimConfig({}, preset as SwimPreset)).field).toBe('swim.preset')
    }
  })

  it('still takes every field of a preset, undefined meaning the default', () => {
    expect(createSwimConfig({ ...LAN_SWIM_CONFIG, probeIntervalMs: undefined, gossipNodes: 4 })).toMatchObject({ probeIntervalMs: 1000, gossipNodes: 4 })
  })
})

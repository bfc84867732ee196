/** member-manager's (Serf's) config: misspelled fields, non-object configs and tags, wrong types, timers. */
import { describe, expect, it } from 'vitest'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import type { SerfInit } from '../../../actors/member-manager/config.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'

function refusal(fn: () => unknown): { field: unknown; message: string } {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError)
    return { field: (err as InvalidConfigError).details?.['field'], message: (err as Error).message }
  }
  throw new Error('the config was accepted')
}

describe('Serf config fields', () => {
  it('refuses a misspelled field, suggesting the known one', () => {
    expect(refusal(() => createSerfConfig({ nodeName: 'n1', tag: { role: 'web' } } as SerfInit)).message).toBe('serf.tag is not a known field; did you mean tags?')
    expect(refusal(() => createSerfConfig({ nodeName: 'n1', reapInterval: 1000 } as SerfInit)).message).toBe(
      'serf.reapInterval is not a known field; did you mean reapIntervalMs?',
    )
  })

  it.each([['x'], [null], [['n1']]])('refuses %j as the config', (init) => {
    expect(refusal(() => createSerfConfig(init as never)).field).toBe('serf')
  })

  it('refuses tags that are not a plain object of strings, showing what came', () => {
    expect(refusal(() => createSerfConfig({ nodeName: 'n1', tags: ['web'] as never }))).toEqual({ field: 'serf.tags', message: 'serf.tags must be an object of strings (got ["web"])' })
    expect(refusal(() => createSerfConfig({ nodeName: 'n1', tags: { port: 7946 } as never })).message).toBe('serf.tags.port must be a string (got 7946)')
  })

  it('shows the received value and bounds durations used as timers', () => {
    expect(refusal(() => createSerfConfig({ nodeName: 'n1', eventBuffer: '512' as never })).message).toBe('serf.eventBuffer must be a positive integer (got "512")')
    expect(refusal(() => createSerfConfig({ nodeName: 'n1', reapIntervalMs: 3e9 })).field).toBe('serf.reapIntervalMs')
    expect(refusal(() => createSerfConfig({ nodeName: 'n1', broadcastTimeoutMs: 2e9 })).field).toBe('serf.broadcastTimeoutMs')
    expect(refusal(() => createSerfConfig({ nodeName: 'n1', leavePropagateDelayMs: -1 })).message).toBe(
      'serf.leavePropagateDelayMs must be a finite number in [0, 2147483647] (ms) (got -1)',
    )
    // Compared with elapsed time only: a 30-day tombstone is fine.
    expect(createSerfConfig({ nodeName: 'n1', tombstoneTimeoutMs: 30 * 86_400_000 }).tombstoneTimeoutMs).toBe(2_592_000_000)
  })
})

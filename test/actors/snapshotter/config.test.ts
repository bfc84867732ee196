/** The snapshotter's config: defaults, misspelled fields, non-object configs, values shown as received. */
import { describe, expect, it } from 'vitest'
import { createSnapshotterConfig, DEFAULT_SNAPSHOTTER_CONFIG } from '../../../actors/snapshotter/config.ts'
import type { SnapshotterInit } from '../../../actors/snapshotter/config.ts'
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

describe('snapshotter config', () => {
  it('spreads the init over the defaults, undefined meaning the default', () => {
    expect(createSnapshotterConfig({ path: 'a.snap', durability: undefined, fsyncIntervalMs: 250 })).toEqual({
      ...DEFAULT_SNAPSHOTTER_CONFIG,
      path: 'a.snap',
      fsyncIntervalMs: 250,
    })
  })

  it('refuses a misspelled field, suggesting the known one', () => {
    expect(refusal(() => createSnapshotterConfig({ path: 'a.snap', durabilty: 'always' } as SnapshotterInit)).message).toBe(
      'snapshotter.durabilty is not a known field; did you mean durability?',
    )
  })

  it.each([['a.snap'], [null], [[]]])('refuses %j as the config', (init) => {
    expect(refusal(() => createSnapshotterConfig(init as never)).field).toBe('snapshotter')
  })

  it('shows the received value with its type', () => {
    expect(refusal(() => createSnapshotterConfig({ path: 'a.snap', fsyncIntervalMs: '10' as never })).message).toBe(
      'snapshotter.fsyncIntervalMs must be an integer in [1, 2147483647] (ms) (got "10")',
    )
    expect(refusal(() => createSnapshotterConfig({ path: 'a.snap', durability: 'sometimes' as never })).message).toBe(
      'snapshotter.durability must be one of "serf", "interval", "always" (got "sometimes")',
    )
    expect(refusal(() => createSnapshotterConfig({ path: '' })).message).toBe('snapshotter.path must be a non-empty string (got "")')
  })
})

import { describe, expect, it } from 'vitest'
import { replayHint, testSeed } from './seed.ts'

describe('testSeed', () => {
  it('is the fixed fallback unless GOSSAMER_TEST_SEED is set, and then that value', () => {
    expect(testSeed(9, {})).toBe(9)
    expect(testSeed(9, { GOSSAMER_TEST_SEED: '' })).toBe(9)
    expect(testSeed(9, { GOSSAMER_TEST_SEED: '0' })).toBe(0)
    expect(testSeed(9, { GOSSAMER_TEST_SEED: ' 4294967295 ' })).toBe(4294967295)
    expect(replayHint(31)).toBe('seed 31 (replay: GOSSAMER_TEST_SEED=31)')
  })

  it('refuses a seed that is not a 32-bit unsigned decimal integer, naming the variable', () => {
    for (const bad of ['abc', '-1', '1.5', '0x10', '4294967296', '1e3']) {
      expect(() => testSeed(9, { GOSSAMER_TEST_SEED: bad }), bad).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('GOSSAMER_TEST_SEED') }))
    }
  })
})

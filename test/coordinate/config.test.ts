import { describe, expect, it } from 'vitest'
import { createCoordinateConfig, DEFAULT_COORDINATE_CONFIG } from '../../src/coordinate/index.ts'

describe('coordinate config', () => {
  it("defaults to Serf's coordinate.DefaultConfig (spec §7)", () => {
    expect(createCoordinateConfig()).toEqual({
      dimensionality: 8,
      vivaldiErrorMax: 1.5,
      vivaldiCE: 0.25,
      vivaldiCC: 0.25,
      adjustmentWindowSize: 20,
      heightMin: 10e-6,
      latencyFilterSize: 3,
      gravityRho: 150,
      maxPeers: 16_384,
    })
    expect(Object.isFrozen(DEFAULT_COORDINATE_CONFIG)).toBe(true)
  })

  it('takes given fields over the defaults, and undefined as the default', () => {
    expect(createCoordinateConfig({ dimensionality: 2, adjustmentWindowSize: 0, gravityRho: undefined })).toMatchObject({ dimensionality: 2, adjustmentWindowSize: 0, gravityRho: 150 })
  })

  // [init, message]
  const bad: Array<[unknown, RegExp]> = [
    ['eight', /^coordinate must be an object of config fields \(got "eight"\)/],
    [{ gravityRo: 150 }, /^coordinate\.gravityRo is not a known field; did you mean gravityRho\?/],
    [{ dimensionality: 0 }, /^coordinate\.dimensionality must be an integer in \[1, 64\] \(got 0\)/],
    [{ dimensionality: 8.5 }, /^coordinate\.dimensionality must be an integer/],
    [{ vivaldiErrorMax: 0 }, /^coordinate\.vivaldiErrorMax must be a finite number > 0 \(got 0\)/],
    [{ vivaldiCE: 1.5 }, /^coordinate\.vivaldiCE must be a finite number in \(0, 1\] \(got 1\.5\)/],
    [{ vivaldiCC: NaN }, /^coordinate\.vivaldiCC must be a finite number in \(0, 1\] \(got NaN\)/],
    [{ adjustmentWindowSize: -1 }, /^coordinate\.adjustmentWindowSize must be an integer in \[0, 1024\]/],
    [{ heightMin: 0 }, /^coordinate\.heightMin must be a finite number > 0 \(s\) \(got 0\)/],
    [{ latencyFilterSize: 0 }, /^coordinate\.latencyFilterSize must be an integer in \[1, 1024\]/],
    [{ gravityRho: Infinity }, /^coordinate\.gravityRho must be a finite number > 0 \(s\)/],
    [{ maxPeers: '10' }, /^coordinate\.maxPeers must be an integer in \[1, 1000000\] \(got "10"\)/],
  ]
  for (const [init, message] of bad) {
    it(`refuses ${JSON.stringify(init) ?? String(init)} naming the field`, () => {
      expect(() => createCoordinateConfig(init as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(message) }))
    })
  }
})

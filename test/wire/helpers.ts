/** Helpers shared by the wire tests. */
import { expect } from 'vitest'
import { WireCodecError } from '../../src/wire/index.ts'

/** Runs `fn`, expects it to throw a WireCodecError, and returns the error's code. */
export function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(WireCodecError)
    return (err as WireCodecError).code
  }
  throw new Error('expected a WireCodecError')
}

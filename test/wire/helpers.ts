/** Helpers shared by the wire tests. */
import { expect } from 'vitest'
import { parseIp, WireCodecError } from '../../src/wire/index.ts'
import type { SerfMember } from '../../src/wire/index.ts'

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

/** A serf.Member as a 0.9.4 agent reports itself in a conflict response (protocol 2 of 1-5, delegate 5 of 2-5). */
export function serfMember(fields: Partial<SerfMember> = {}): SerfMember {
  return {
    Name: 'a',
    Addr: parseIp('10.0.0.1'),
    Port: 7946,
    Tags: new Map([['role', 'web']]),
    Status: 1,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 5,
    ...fields,
  }
}

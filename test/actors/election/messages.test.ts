/**
 * The election messages' binary form: every type round-trips; decoding is bounded and refuses bad
 * magic, unknown versions, oversized input, undecodable or trailing bytes, unknown types and fields,
 * and out-of-range values with a coded error, never a crash or a half-checked message.
 */
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { ElectionDecodeError } from '../../../actors/election/errors.ts'
import { DEFAULT_MAX_ELECTION_BYTES, decodeElectionMsg, encodeElectionMsg, type ElectionMsg } from '../../../actors/election/messages.ts'
import { nextTerm, toTerm } from '../../../actors/election/term.ts'

const t = toTerm
const raw = (body: unknown, version = 1) => {
  const b = new Packr({ useRecords: false }).pack(body)
  return Uint8Array.from([0x47, 0x4c, version, ...b])
}
const codeOf = (f: () => unknown) => {
  try {
    f()
  } catch (err) {
    return err instanceof ElectionDecodeError ? err.code : `not coded: ${String(err)}`
  }
  return 'no error'
}

describe('election messages: encoding', () => {
  it.each<ElectionMsg>([
    { type: 'vote', term: t(1), from: 'web-1', round: 7 },
    { type: 'renew', term: t(2 ** 40), from: 'db-ü', round: 0 },
    { type: 'grant', term: t(3), from: 'a', round: 1, granted: true, promised: t(3) },
    { type: 'grant', term: t(3), from: 'a', round: 1, granted: false, promised: t(9), reason: 'held' },
    { type: 'resign', term: t(Number.MAX_SAFE_INTEGER), from: 'x' },
  ])('round-trips %j', (msg) => {
    const bytes = encodeElectionMsg(msg)
    expect([...bytes.subarray(0, 3)]).toEqual([0x47, 0x4c, 1])
    expect(decodeElectionMsg(bytes)).toEqual(msg)
    expect(bytes.length).toBeLessThan(80)
  })

  it.each([
    ['bad magic', Uint8Array.from([0x47, 0x41, 1, 0x80]), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['an unknown version', raw({ type: 'resign', term: 1, from: 'a' }, 2), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['too short', Uint8Array.from([0x47, 0x4c, 1]), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['oversized', new Uint8Array(DEFAULT_MAX_ELECTION_BYTES + 1), 'ERR_ELECTION_MESSAGE_OVERSIZED'],
    ['truncated msgpack', raw({ type: 'resign', term: 1, from: 'abc' }).subarray(0, 12), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['trailing bytes', Uint8Array.from([...raw({ type: 'resign', term: 1, from: 'a' }), 0x01]), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['not a map', raw([1, 2, 3]), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['an unknown type', raw({ type: 'coup', term: 1, from: 'a' }), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['an unknown field', raw({ type: 'resign', term: 1, from: 'a', extra: 1 }), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['a negative term', raw({ type: 'vote', term: -1, from: 'a', round: 1 }), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['a fractional round', raw({ type: 'vote', term: 1, from: 'a', round: 1.5 }), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['an empty name', raw({ type: 'vote', term: 1, from: '', round: 1 }), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['an unknown refusal reason', raw({ type: 'grant', term: 1, from: 'a', round: 1, granted: false, promised: 1, reason: 'tired' }), 'ERR_ELECTION_MESSAGE_CORRUPT'],
    ['a term past 2^53', raw({ type: 'resign', term: 2 ** 60, from: 'a' }), 'ERR_ELECTION_MESSAGE_CORRUPT'],
  ])('refuses %s with a code', (_name, bytes, code) => {
    expect(codeOf(() => decodeElectionMsg(bytes as Uint8Array))).toBe(code)
  })

  it('refuses a non-byte input and honours a smaller byte limit', () => {
    expect(codeOf(() => decodeElectionMsg('hello' as never))).toBe('ERR_ELECTION_MESSAGE_CORRUPT')
    const bytes = encodeElectionMsg({ type: 'vote', term: t(1), from: 'a'.repeat(40), round: 1 })
    expect(codeOf(() => decodeElectionMsg(bytes, { maxBytes: 20 }))).toBe('ERR_ELECTION_MESSAGE_OVERSIZED')
  })
})

describe('election term', () => {
  it('has one checked constructor', () => {
    expect(nextTerm(t(41))).toBe(42)
    for (const bad of [-1, 1.5, NaN, 2 ** 53, '3']) expect(() => toTerm(bad)).toThrow(expect.objectContaining({ code: 'ERR_ELECTION_INVALID_TERM' }))
    expect(() => nextTerm(t(Number.MAX_SAFE_INTEGER))).toThrow(expect.objectContaining({ code: 'ERR_ELECTION_INVALID_TERM' }))
  })
})

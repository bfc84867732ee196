/**
 * The encoded Assignment: round trips, and every kind of damage is a coded error (corrupt or
 * oversized), found before anything large is allocated.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeAssignment, DEFAULT_MAX_ASSIGNMENT_BYTES, encodeAssignment } from '../../../actors/assignment/assignment-codec.ts'
import { createAssignment, type Assignment } from '../../../actors/assignment/assignment.ts'
import { consistentHash } from '../../../actors/assignment/strategies/consistent-hash.ts'
import { crc32 } from '../../../src/wire/crc.ts'
import { codeOf, workers } from './support.ts'

const sample = (): Assignment => consistentHash().assign({ partitions: 500, workers: [...workers(6), { id: 'ünï-☃', weight: 0.5 }, { id: 'drain', weight: 0 }], term: 12, version: 345 })

/** Rewrites the trailing CRC so a deliberately edited body passes the checksum and reaches the field checks. */
function reseal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice()
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true)
  return out
}

describe('assignment codec', () => {
  it('round-trips an assignment exactly, 2 bytes per partition plus the table', () => {
    const a = sample()
    const bytes = encodeAssignment(a)
    const b = decodeAssignment(bytes)
    expect({ ...b, owners: Array.from(b.owners) }).toEqual({ ...a, owners: Array.from(a.owners) })
    const table = a.workers.reduce((n, w) => n + 1 + new TextEncoder().encode(w.id).length + 8, 0)
    expect(bytes.length).toBe(28 + table + 2 * 500 + 4)
  })

  it('round-trips the largest term and version (2^53 - 1) and a 1,000,000-partition assignment', () => {
    const big = createAssignment({ version: Number.MAX_SAFE_INTEGER, term: Number.MAX_SAFE_INTEGER, partitions: 1_000_000, workers: workers(3), owners: new Uint16Array(1_000_000).map((_, p) => p % 3) })
    const back = decodeAssignment(encodeAssignment(big))
    expect([back.term, back.version, back.partitions, back.owners[999_999]]).toEqual([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 1_000_000, 999_999 % 3])
  })

  it('refuses bytes past the limit before reading them, and will not encode past it either', () => {
    const bytes = encodeAssignment(sample())
    expect(codeOf(() => decodeAssignment(bytes, { maxBytes: bytes.length - 1 }))).toBe('ERR_ASSIGNMENT_OVERSIZED')
    expect(codeOf(() => encodeAssignment(sample(), { maxBytes: 100 }))).toBe('ERR_ASSIGNMENT_OVERSIZED')
    // A claimed huge blob: length alone decides, nothing is parsed.
    expect(codeOf(() => decodeAssignment(new Uint8Array(DEFAULT_MAX_ASSIGNMENT_BYTES + 1)))).toBe('ERR_ASSIGNMENT_OVERSIZED')
  })

  const edits: Array<[string, (b: Uint8Array, v: DataView) => Uint8Array]> = [
    ['bad magic', (b) => ((b[0] = 0x48), reseal(b))],
    ['an unknown format version', (b) => ((b[2] = 2), reseal(b))],
    ['unknown flags', (b) => ((b[3] = 1), reseal(b))],
    ['a flipped bit without a new checksum', (b) => ((b[40] = b[40]! ^ 0x10), b)],
    ['a term past 2^53 - 1', (b, v) => (v.setUint32(8, 0x20_0000, true), reseal(b))],
    ['0 partitions', (b, v) => (v.setUint32(20, 0, true), reseal(b))],
    ['10,000,000 partitions', (b, v) => (v.setUint32(20, 10_000_000, true), reseal(b))],
    ['more partitions than bytes', (b, v) => (v.setUint32(20, 600, true), reseal(b))],
    ['0 workers', (b, v) => (v.setUint32(24, 0, true), reseal(b))],
    ['65,536 workers', (b, v) => (v.setUint32(24, 65_536, true), reseal(b))],
    ['a worker id of length 0', (b) => ((b[28] = 0), reseal(b))],
    ['an owner index outside the table', (b, v) => (v.setUint16(b.length - 6, 8, true), reseal(b))],
    ['a negative weight', (b, v) => (v.setFloat64(28 + 1 + 5, -1, true), reseal(b))],
    ['a NaN weight', (b, v) => (v.setFloat64(28 + 1 + 5, Number.NaN, true), reseal(b))],
    ['ids out of order', (b) => ((b[28 + 1] = 0x7a), reseal(b))], // "drain" -> "zrain", after "worker-0"
    ['an id that is not UTF-8', (b) => ((b[28 + 1] = 0xff), reseal(b))],
    ['a trailing byte', (b) => reseal(Uint8Array.from([...b.subarray(0, b.length - 4), 0, 0, 0, 0, 0]))],
    ['a missing byte', (b) => reseal(Uint8Array.from([...b.subarray(0, b.length - 5), 0, 0, 0, 0]))],
    ['truncation to the header', (b) => b.subarray(0, 30)],
  ]
  for (const [what, edit] of edits) {
    it(`refuses ${what} as ERR_ASSIGNMENT_CORRUPT`, () => {
      const bytes = encodeAssignment(sample())
      expect(codeOf(() => decodeAssignment(edit(bytes, new DataView(bytes.buffer))))).toBe('ERR_ASSIGNMENT_CORRUPT')
    })
  }

  it('refuses two workers with the same id (each table entry well-formed)', () => {
    const a = createAssignment({ version: 1, term: 1, partitions: 2, workers: [{ id: 'aa', weight: 1 }, { id: 'ab', weight: 1 }], owners: Uint16Array.of(0, 1) })
    const bytes = encodeAssignment(a)
    bytes[28 + 1 + 2 + 8 + 1 + 1] = 0x61 // second id "ab" -> "aa"
    expect(codeOf(() => decodeAssignment(reseal(bytes)))).toBe('ERR_ASSIGNMENT_CORRUPT')
  })

  it('never throws anything but a coded error on random damage (property)', () => {
    const good = encodeAssignment(sample())
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat({ max: good.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }), fc.boolean(), fc.nat({ max: good.length }), (writes, sealed, cut) => {
        let b: Uint8Array = good.slice()
        for (const w of writes) b[w.at] = w.value
        if (cut < 40) b = b.subarray(0, cut)
        if (sealed && b.length > 4) b = reseal(b)
        try {
          const a = decodeAssignment(b)
          // Whatever decodes is a well-formed assignment again.
          expect(decodeAssignment(encodeAssignment(a)).partitions).toBe(a.partitions)
        } catch (err) {
          expect(['ERR_ASSIGNMENT_CORRUPT', 'ERR_ASSIGNMENT_OVERSIZED']).toContain((err as { code?: string }).code)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('refuses what is not bytes', () => {
    expect(codeOf(() => decodeAssignment('GA' as unknown as Uint8Array))).toBe('ERR_ASSIGNMENT_CORRUPT')
  })
})

/** The frame splitter: objects split at any byte, laid end to end, bounded, malformed input coded. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FrameSplitter } from '../../src/rpc/frames.ts'
import { decodeValue, encodeObjects } from '../../src/rpc/values.ts'
import type { OutValue } from '../../src/rpc/values.ts'
import { RpcError } from '../../src/rpc/errors.ts'

const objects: OutValue[] = [{ Command: 'handshake', Seq: 1 }, { Version: 1 }, { Command: 'event', Seq: 2 }, { Name: 'x'.repeat(300), Payload: new Uint8Array(2000), Coalesce: true }, { Command: 'members', Seq: 3 }]

describe('FrameSplitter', () => {
  it('hands out the same objects whatever the chunking', () => {
    const bytes = encodeObjects(...objects)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b)
        const s = new FrameSplitter(1 << 20)
        const out: unknown[] = []
        let from = 0
        for (const at of [...points, bytes.length]) {
          s.push(bytes.subarray(from, at))
          from = at
          for (let f = s.next(); f !== undefined; f = s.next()) out.push(decodeValue(f))
        }
        expect(out).toEqual(objects)
        expect(s.buffered).toBe(0)
      }),
      { numRuns: 100 },
    )
  })

  it('keeps objects whole across buffer growth and compaction (many objects, odd chunk sizes)', () => {
    const many: OutValue[] = Array.from({ length: 60 }, (_, i) => ({ Seq: i, Payload: new Uint8Array(700 + i * 97).fill(i), Tags: { k: 'v'.repeat(i) } }))
    const bytes = encodeObjects(...many)
    const s = new FrameSplitter(1 << 20)
    const out: unknown[] = []
    for (let at = 0; at < bytes.length; at += 1013) {
      s.push(bytes.subarray(at, Math.min(bytes.length, at + 1013)))
      for (let f = s.next(); f !== undefined; f = s.next()) out.push(decodeValue(f))
    }
    expect(out).toEqual(many)
    expect(s.buffered).toBe(0)
  })

  it('refuses an object that declares more than the limit from its first bytes', () => {
    const s = new FrameSplitter(1000)
    s.push(Uint8Array.from([0xc6, 0x00, 0x01, 0x00, 0x00]))
    expect(() => s.next()).toThrow(expect.objectContaining({ code: 'ERR_RPC_FRAME_TOO_LARGE' }))
    // Spent: later bytes do not revive it.
    s.push(encodeObjects({ a: 1 }))
    expect(() => s.next()).toThrow(RpcError)
  })

  it('refuses an object still incomplete past the limit, and waits below it', () => {
    const s = new FrameSplitter(1000)
    // An array of 16 bin8 items of 100 bytes: 9 items (923 bytes) wait, 11 (1127) are refused.
    const item = Uint8Array.from([0xc4, 100, ...new Uint8Array(100)])
    s.push(Uint8Array.from([0xdd, 0x00, 0x00, 0x00, 0x10]))
    for (let i = 0; i < 9; i++) s.push(item)
    expect(s.next()).toBeUndefined()
    s.push(item)
    s.push(item)
    expect(() => s.next()).toThrow(expect.objectContaining({ code: 'ERR_RPC_FRAME_TOO_LARGE' }))
  })

  it('codes malformed msgpack (0xc1, nesting past 32) as ERR_RPC_DECODE', () => {
    const a = new FrameSplitter(1000)
    a.push(Uint8Array.of(0xc1))
    expect(() => a.next()).toThrow(expect.objectContaining({ code: 'ERR_RPC_DECODE' }))
    const b = new FrameSplitter(1000)
    b.push(new Uint8Array(40).fill(0x91))
    expect(() => b.next()).toThrow(expect.objectContaining({ code: 'ERR_RPC_DECODE' }))
  })
})

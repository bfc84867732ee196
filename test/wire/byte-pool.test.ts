import { describe, expect, it } from 'vitest'
import { packetBytes } from '../../src/wire/byte-pool.ts'
import { buildPacket, decodeMessage, decodePacket, encodeMessage, flattenPacket, makeCompound, wrapCrc } from '../../src/wire/index.ts'
import { defineStruct } from '../../src/wire/schema.ts'
import { codeOf } from './helpers.ts'

describe('wire - byte pool', () => {
  it('gives zeroed, disjoint views of the asked size; small and large sizes get their own buffer', () => {
    const a = packetBytes(100)
    const b = packetBytes(300)
    expect(a.length).toBe(100)
    expect(b.length).toBe(300)
    expect(a.every((x) => x === 0) && b.every((x) => x === 0)).toBe(true)
    a.fill(0xaa)
    b.fill(0xbb)
    expect(a.every((x) => x === 0xaa)).toBe(true)
    expect(b.every((x) => x === 0xbb)).toBe(true)
    expect(packetBytes(64).buffer.byteLength).toBe(64)
    expect(packetBytes(4096).buffer.byteLength).toBe(4096)
  })

  it('keeps earlier packets intact while later ones fill and roll over blocks', () => {
    const messages = Array.from({ length: 6 }, (_, i) => encodeMessage({ type: 'suspect', Incarnation: i, Node: `node-${i}`, From: 'a-rather-long-sender-name' }))
    const packets = Array.from({ length: 200 }, () => buildPacket(messages, { crc: true }))
    const again = Array.from({ length: 200 }, () => makeCompound(messages))
    for (const p of packets) {
      expect(flattenPacket(decodePacket(p)).messages.map((m) => (m.type === 'suspect' ? m.Incarnation : -1))).toEqual([0, 1, 2, 3, 4, 5])
    }
    for (const c of again) expect(wrapCrc(c)).toEqual(packets[0])
  })
})

describe('wire - schema field names', () => {
  it('refuses a field name that is not a plain identifier (names are compiled into accessors)', () => {
    expect(() => defineStruct('bad', [{ name: 'a-b', type: 'str' }])).toThrow(/not a plain field name/)
    expect(() => defineStruct('bad', [{ name: 'type', type: 'str' }])).toThrow(/not a plain field name/)
  })
})

describe('wire - message type table', () => {
  it('decodes err as a single (stream) message but refuses it inside a packet', () => {
    const err = encodeMessage({ type: 'err', Error: 'boom' })
    expect(decodeMessage(err)).toEqual({ type: 'err', Error: 'boom' })
    expect(codeOf(() => decodePacket(err))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    expect(codeOf(() => decodeMessage(Uint8Array.of(42, 0x80)))).toBe('ERR_WIRE_UNKNOWN_TYPE')
  })
})

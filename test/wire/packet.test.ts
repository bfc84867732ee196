import { describe, expect, it } from 'vitest'
import {
  buildPacket,
  compressMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  flattenPacket,
  fromHex,
  Keyring,
  makeCompound,
  packCompound,
  splitCompound,
  toHex,
  wrapCrc,
} from '../../src/wire/index.ts'
import type { PacketNode } from '../../src/wire/index.ts'
import { APPENDIX_A } from './vectors.ts'
import { codeOf } from './helpers.ts'

const ping = fromHex(APPENDIX_A.ping)
const alive = fromHex(APPENDIX_A.alive)
const nack = encodeMessage({ type: 'nack', SeqNo: 1 })
const key = new Uint8Array(32).fill(9)
const ring = new Keyring([key])
const fixedNonce = () => Uint8Array.from({ length: 12 }, (_, i) => 100 + i)

describe('wire - packet - compound', () => {
  it('makes and splits compounds; a cut-off buffer keeps the complete parts and counts the rest', () => {
    const c = makeCompound([ping, alive, nack])
    expect(toHex(c.subarray(0, 8))).toBe('0703003c0044' + toHex(Uint8Array.of(0, nack.length)))
    const split = splitCompound(c.subarray(1))
    expect(split.parts).toEqual([ping, alive, nack])
    const cut = splitCompound(c.subarray(1, c.length - nack.length - 1))
    expect(cut.parts).toEqual([ping])
    expect(cut.truncated).toBe(2)
    const node = decodePacket(c.subarray(0, c.length - 1))
    expect(node).toMatchObject({ type: 'compound', truncated: 1 })
  })

  it('refuses zero-length parts, too many parts and a truncated length table', () => {
    expect(codeOf(() => makeCompound([ping, new Uint8Array(0)]))).toBe('ERR_WIRE_ENCODE')
    expect(codeOf(() => makeCompound(new Array(256).fill(nack)))).toBe('ERR_WIRE_ENCODE')
    expect(codeOf(() => decodePacket(Uint8Array.of(7, 3, 0, 1)))).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => decodePacket(Uint8Array.of(7)))).toBe('ERR_WIRE_TRUNCATED')
  })

  it('turns a zero-length or undecodable part into an invalid node and keeps its siblings', () => {
    // Go 0.2.2 would crash on the empty part; we must decode around it.
    const c = Uint8Array.of(7, 3, 0, 0, 0, 1, 0, nack.length, 0xf4, ...nack)
    const node = decodePacket(c)
    if (node.type !== 'compound') throw new Error('shape')
    expect(node.parts.map((p) => p.type)).toEqual(['invalid', 'invalid', 'nack'])
    expect(node.parts[0]).toMatchObject({ code: 'ERR_WIRE_EMPTY' })
    expect(node.parts[1]).toMatchObject({ code: 'ERR_WIRE_UNKNOWN_TYPE' })
    const flat = flattenPacket(node)
    expect(flat.messages).toEqual([{ type: 'nack', SeqNo: 1 }])
    expect(flat.invalid.length).toBe(2)
    // re-encoding writes invalid parts back as they were, but never a zero-length part
    expect(codeOf(() => encodePacket(node))).toBe('ERR_WIRE_ENCODE')
    const withoutEmpty = { ...node, parts: node.parts.slice(1) }
    expect(encodePacket(withoutEmpty)).toEqual(Uint8Array.of(7, 2, 0, 1, 0, nack.length, 0xf4, ...nack))
  })

  it('packs within a byte budget counting the compound overheads, skipping what does not fit', () => {
    // ping 60 + alive 68 + nack n, each + 2, plus 2 of header
    const all = 2 + 62 + 70 + 2 + nack.length
    const full = packCompound([ping, alive, nack], all)
    expect(full.included).toEqual([0, 1, 2])
    expect(full.packet!.length).toBe(all)
    const tight = packCompound([ping, alive, nack], all - 1)
    expect(tight.included).toEqual([0, 1])
    const skip = packCompound([ping, alive, nack], 2 + 62 + 2 + nack.length)
    expect(skip.included).toEqual([0, 2])
    const lone = packCompound([alive], 68)
    expect(lone.packet).toEqual(alive) // a lone message goes bare
    expect(packCompound([alive], 67)).toEqual({ packet: null, included: [] })
    expect(codeOf(() => packCompound([new Uint8Array(0)], 100))).toBe('ERR_WIRE_ENCODE')
    for (const budget of [0, 10, 70, 100, 200, 1400]) {
      const r = packCompound([ping, alive, nack, alive, ping], budget)
      if (r.packet !== null) expect(r.packet.length).toBeLessThanOrEqual(budget)
    }
  })
})

describe('wire - packet - pipeline', () => {
  it('sends one message bare and several as a compound; compresses only when smaller', () => {
    expect(buildPacket([ping])).toEqual(ping)
    expect(buildPacket([ping, alive])).toEqual(makeCompound([ping, alive]))
    // small packets do not shrink: sent uncompressed (observed on the wire)
    expect(buildPacket([nack], { compress: true })).toEqual(nack)
    const many = new Array(10).fill(alive)
    const compressed = buildPacket(many, { compress: true })
    expect(compressed[0]).toBe(9)
    const node = decodePacket(compressed)
    expect(node.type).toBe('compress')
    expect(flattenPacket(node).messages.length).toBe(10)
  })

  it('wraps a CRC at the top and verifies it on receive', () => {
    const p = buildPacket([ping, alive], { crc: true })
    expect(p[0]).toBe(12)
    expect(decodePacket(p)).toMatchObject({ type: 'hasCrc', inner: { type: 'compound' } })
    const bad = p.slice()
    bad[bad.length - 1]! ^= 0xff
    expect(codeOf(() => decodePacket(bad))).toBe('ERR_WIRE_BAD_CRC')
    expect(codeOf(() => decodePacket(Uint8Array.of(12, 0, 0)))).toBe('ERR_WIRE_TRUNCATED')
    // hasCrc is only looked for at the top level, as in Go
    const nested = makeCompound([wrapCrc(nack)])
    const node = decodePacket(nested)
    expect(node).toMatchObject({ type: 'compound', parts: [{ type: 'invalid', code: 'ERR_WIRE_UNKNOWN_TYPE' }] })
  })

  it('encrypts the whole datagram (CRC and compression inside) and decrypts with the keyring', () => {
    const p = buildPacket([ping, alive], { crc: true, keyring: ring, nonce: fixedNonce })
    expect(p[0]).toBe(1)
    const node = decodePacket(p, { keyring: ring })
    expect(node).toMatchObject({ type: 'encrypt', vsn: 1, keyIndex: 0, inner: { type: 'hasCrc', inner: { type: 'compound' } } })
    expect(encodePacket(node, { keyring: ring })).toEqual(p)
    expect(codeOf(() => decodePacket(p, { keyring: new Keyring([new Uint8Array(16)]) }))).toBe('ERR_WIRE_DECRYPT')
    // with a keyring, plaintext is refused unless verifyIncoming is off (staged rollout)
    expect(codeOf(() => decodePacket(ping, { keyring: ring }))).not.toBe('ERR_WIRE_INTERNAL')
    expect(decodePacket(ping, { keyring: ring, verifyIncoming: false })).toMatchObject({ type: 'ping', SeqNo: 23 })
    const v0 = buildPacket([ping], { keyring: ring, encryptionVersion: 0 })
    expect(decodePacket(v0, { keyring: ring })).toMatchObject({ type: 'encrypt', vsn: 0, inner: { type: 'ping' } })
  })

  it('accepts compress inside compound and compound inside compress, bounded in nesting', () => {
    const inner = makeCompound([compressMessage(makeCompound([ping, nack])), alive])
    const node = decodePacket(compressMessage(inner))
    expect(flattenPacket(node).messages.map((m) => m.type)).toEqual(['ping', 'nack', 'alive'])
    expect(encodePacket(node)).toEqual(compressMessage(inner))
    let deep = nack
    for (let i = 0; i < 12; i++) deep = makeCompound([deep])
    expect(codeOf(() => decodePacket(deep))).toBe('ERR_WIRE_TOO_DEEP')
    expect(decodePacket(deep, { maxNesting: 20 }).type).toBe('compound')
  })

  it('refuses stream-only and unknown types in a packet, empty packets and unknown compression', () => {
    expect(codeOf(() => decodePacket(Uint8Array.of(6, 0x80)))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    expect(codeOf(() => decodePacket(encodeMessage({ type: 'err', Error: 'x' })))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    expect(codeOf(() => decodePacket(Uint8Array.of(244, 1, 65)))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    expect(codeOf(() => decodePacket(new Uint8Array(0)))).toBe('ERR_WIRE_EMPTY')
    // compress{Algo: 1, Buf: ""}
    expect(codeOf(() => decodePacket(fromHex('0982a4416c676f01a3427566a0')))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    // compress of nothing: decompresses to an empty message
    expect(codeOf(() => decodePacket(compressMessage(new Uint8Array(0))))).toBe('ERR_WIRE_EMPTY')
  })

  it('bounds decompression', () => {
    const huge = compressMessage(new Uint8Array(1 << 20).fill(8))
    expect(huge.length).toBeLessThan(10000)
    expect(codeOf(() => decodePacket(huge, { maxDecompressedBytes: 1 << 16 }))).toBe('ERR_WIRE_TOO_LARGE')
  })

  it('round-trips a tree through encodePacket', () => {
    const tree: PacketNode = {
      type: 'hasCrc',
      crc: 0,
      inner: {
        type: 'compound',
        truncated: 0,
        parts: [
          { type: 'nack', SeqNo: 3 },
          { type: 'compress', Algo: 0, inner: { type: 'user', Payload: Uint8Array.of(1, 0x80) } },
        ],
      },
    }
    const bytes = encodePacket(tree)
    const back = decodePacket(bytes)
    expect({ ...back, crc: 0 }).toEqual(tree)
  })
})

describe('wire - packet - decompression budget', () => {
  it('charges nested compress wrappers to one budget per packet', () => {
    const payload = new Uint8Array(40000).fill(0x80)
    const inner = compressMessage(Uint8Array.of(8, ...payload)) // a user message of 40001 bytes, compressed
    const outer = compressMessage(makeCompound([inner, inner]))
    expect(decodePacket(outer, { maxDecompressedBytes: 200_000 }).type).toBe('compress')
    // each expansion alone fits in 50,000 bytes, together they do not
    expect(codeOf(() => decodePacket(outer, { maxDecompressedBytes: 50_000 }))).toBe('ERR_WIRE_TOO_LARGE')
  })
})

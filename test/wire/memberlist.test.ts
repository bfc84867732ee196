import { describe, expect, it } from 'vitest'
import {
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  encodeTags,
  decodeTags,
  fromHex,
  makeCompound,
  encodeSerfMessage,
  parseIp,
  toHex,
} from '../../src/wire/index.ts'
import type { Alive, MemberlistMessage } from '../../src/wire/index.ts'
import { APPENDIX_A } from './vectors.ts'
import { codeOf } from './helpers.ts'

const VSN = Uint8Array.of(1, 5, 2, 2, 5, 5)

describe('wire - memberlist - Appendix A vectors', () => {
  it('decodes the captured ping and re-encodes it byte for byte', () => {
    const bytes = fromHex(APPENDIX_A.ping)
    expect(bytes.length).toBe(60)
    const msg = decodeMessage(bytes)
    expect(msg).toEqual({
      type: 'ping',
      Node: 'py',
      SeqNo: 23,
      SourceAddr: Uint8Array.of(127, 0, 0, 1),
      SourceNode: 'a',
      SourcePort: 17946,
    })
    expect(toHex(encodeMessage(msg))).toBe(APPENDIX_A.ping)
  })

  it('decodes the captured alive (tags in Meta, 6-byte Vsn) and re-encodes it byte for byte', () => {
    const msg = decodeMessage(fromHex(APPENDIX_A.alive)) as Alive
    expect(msg.type).toBe('alive')
    expect(msg.Node).toBe('py')
    expect(msg.Incarnation).toBe(1)
    expect(msg.Port).toBe(17950)
    expect(msg.Addr).toEqual(parseIp('127.0.0.1'))
    expect(msg.Vsn).toEqual(VSN)
    expect({ ...decodeTags(msg.Meta) }).toEqual({ role: 'py' })
    expect(toHex(encodeMessage(msg))).toBe(APPENDIX_A.alive)
    // One tag: Go's random map order cannot differ, so our sorted tags give the same Meta.
    expect(encodeTags({ role: 'py' })).toEqual(msg.Meta)
  })

  it('decodes the captured graceful-leave dead inside a CRC wrapper and re-encodes it', () => {
    const node = decodePacket(fromHex(APPENDIX_A.deadWithCrc))
    expect(node).toEqual({ type: 'hasCrc', crc: 0x205a8656, inner: { type: 'dead', From: 'c', Incarnation: 1, Node: 'c' } })
    expect(toHex(encodePacket(node))).toBe(APPENDIX_A.deadWithCrc)
  })

  it('reproduces the captured compound header of a ping with two piggybacks (60, 68, 18 bytes)', () => {
    const ping = fromHex(APPENDIX_A.ping)
    const alive = fromHex(APPENDIX_A.alive)
    const join = Uint8Array.of(8, ...encodeSerfMessage({ type: 'join', LTime: 1n, Node: 'py' }))
    expect([ping.length, alive.length, join.length]).toEqual([60, 68, 18])
    const compound = makeCompound([ping, alive, join])
    expect(toHex(compound.subarray(0, 8))).toBe(APPENDIX_A.compoundHeader)
  })
})

describe('wire - memberlist - messages', () => {
  const samples: MemberlistMessage[] = [
    { type: 'ping', SeqNo: 1, Node: 'b', SourceAddr: new Uint8Array(0), SourceNode: '', SourcePort: 0 },
    {
      type: 'indirectPing',
      SeqNo: 0xffffffff,
      Target: parseIp('10.0.0.2'),
      Port: 7946,
      Node: 'b',
      Nack: true,
      SourceAddr: parseIp('::1'),
      SourceNode: 'a',
      SourcePort: 7946,
    },
    { type: 'ack', SeqNo: 9, Payload: null },
    { type: 'ack', SeqNo: 9, Payload: Uint8Array.of(1, 2, 3) },
    { type: 'nack', SeqNo: 9 },
    { type: 'suspect', Incarnation: 3, Node: 'b', From: 'a' },
    { type: 'alive', Incarnation: 7, Node: 'b', Addr: parseIp('::ffff:10.1.2.3'), Port: 0, Meta: new Uint8Array(0), Vsn: VSN },
    { type: 'dead', Incarnation: 3, Node: 'b', From: 'b' },
    { type: 'user', Payload: Uint8Array.of(3, 0x80) },
    { type: 'err', Error: 'remote error' },
  ]

  it('round-trips every single message type', () => {
    for (const msg of samples) expect(decodeMessage(encodeMessage(msg)), msg.type).toEqual(msg)
  })

  it('writes struct fields in byte-wise sorted key order', () => {
    const hex = toHex(encodeMessage({ type: 'suspect', Incarnation: 3, Node: 'b', From: 'a' }))
    // From < Incarnation < Node
    expect(hex).toBe('0383a446726f6da161ab496e6361726e6174696f6e03a44e6f6465a162')
  })

  it('leaves omitempty Source fields out of a ping when zero', () => {
    const hex = toHex(encodeMessage(samples[0]!))
    expect(hex).toBe('0082a44e6f6465a162a55365714e6f01')
  })

  it('writes a nil ack payload as c0', () => {
    expect(toHex(encodeMessage({ type: 'ack', SeqNo: 9, Payload: null }))).toBe('0282a75061796c6f6164c0a55365714e6f09')
  })

  it('accepts keys in any order, skips unknown keys, keeps zero values for missing ones', () => {
    // {Zzz: [1,2], SeqNo: 5} -> nack
    const msg = decodeMessage(fromHex('0b82a35a7a7a920102a55365714e6f05'))
    expect(msg).toEqual({ type: 'nack', SeqNo: 5 })
    expect(decodeMessage(fromHex('0380'))).toEqual({ type: 'suspect', Incarnation: 0, Node: '', From: '' })
  })

  it('refuses a bin value in a string field, as Go does', () => {
    // suspect{Node: bin8 "b"}
    expect(codeOf(() => decodeMessage(fromHex('0381a44e6f6465c40162')))).toBe('ERR_WIRE_TYPE_MISMATCH')
  })

  it('accepts str8 and bin in byte fields', () => {
    const viaBin = decodeMessage(fromHex('0281a75061796c6f6164c403010203')) as { Payload: Uint8Array }
    expect(viaBin.Payload).toEqual(Uint8Array.of(1, 2, 3))
    const viaStr8 = decodeMessage(fromHex('0281a75061796c6f6164d903010203')) as { Payload: Uint8Array }
    expect(viaStr8.Payload).toEqual(Uint8Array.of(1, 2, 3))
  })

  it('refuses IPs that are not 4 or 16 bytes and a Vsn that is not 6 bytes on send', () => {
    const alive = samples[6] as Alive
    expect(codeOf(() => encodeMessage({ ...alive, Addr: Uint8Array.of(1, 2, 3) }))).toBe('ERR_WIRE_BAD_LENGTH')
    expect(codeOf(() => encodeMessage({ ...alive, Vsn: Uint8Array.of(1, 5, 2) }))).toBe('ERR_WIRE_ENCODE')
    const patched = fromHex(toHex(encodeMessage({ ...alive, Addr: Uint8Array.of(1, 2, 3, 4) })).replace('a401020304', 'a3010203'))
    expect(codeOf(() => decodeMessage(patched))).toBe('ERR_WIRE_BAD_LENGTH')
  })

  it('refuses out-of-range values on encode', () => {
    expect(codeOf(() => encodeMessage({ type: 'nack', SeqNo: 2 ** 32 }))).toBe('ERR_WIRE_ENCODE')
    expect(codeOf(() => encodeMessage({ type: 'nack', SeqNo: -1 }))).toBe('ERR_WIRE_ENCODE')
    expect(codeOf(() => encodeMessage({ type: 'ping', SeqNo: 1, Node: '', SourceAddr: new Uint8Array(0), SourceNode: '', SourcePort: 70000 }))).toBe(
      'ERR_WIRE_ENCODE',
    )
    expect(codeOf(() => encodeMessage({ type: 'user', Payload: new Uint8Array(0) }))).toBe('ERR_WIRE_ENCODE')
  })

  it('reports unknown and wrapper types as ERR_WIRE_UNKNOWN_TYPE and empty input as ERR_WIRE_EMPTY', () => {
    expect(codeOf(() => decodeMessage(fromHex('f4')))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    expect(codeOf(() => decodeMessage(fromHex('0700')))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    expect(codeOf(() => decodeMessage(new Uint8Array(0)))).toBe('ERR_WIRE_EMPTY')
  })
})

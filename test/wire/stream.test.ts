import { describe, expect, it } from 'vitest'
import {
  buildStream,
  decodeSerfMessage,
  decodeStream,
  encodeMessage,
  encodePushPull,
  encodeSerfMessage,
  encodeStream,
  encodeTags,
  fromHex,
  Keyring,
  parseIp,
  readStream,
  toHex,
} from '../../src/wire/index.ts'
import type { PushPullStream, PushNodeState, StreamNode } from '../../src/wire/index.ts'
import { encodeStruct } from '../../src/wire/schema.ts'
import { SCHEMAS } from '../../src/wire/memberlist.ts'
import { MsgpackWriter } from '../../src/wire/msgpack/writer.ts'
import { APPENDIX_A } from './vectors.ts'
import { codeOf } from './helpers.ts'

const VSN = Uint8Array.of(1, 5, 2, 2, 5, 5)
const states: PushNodeState[] = [
  { Name: 'a', Addr: parseIp('127.0.0.1'), Port: 17946, Meta: encodeTags({}), Incarnation: 1, State: 0, Vsn: VSN },
  { Name: 'py', Addr: parseIp('::ffff:127.0.0.1'), Port: 17950, Meta: encodeTags({ role: 'py' }), Incarnation: 2, State: 3, Vsn: VSN },
]
const serfState = encodeSerfMessage({
  type: 'pushPull',
  LTime: 2n,
  StatusLTimes: new Map([
    ['a', 0n],
    ['py', 1n],
  ]),
  LeftMembers: [],
  EventLTime: 1n,
  Events: new Array(512).fill(null),
  QueryLTime: 1n,
})
const pushPull: PushPullStream = {
  type: 'pushPull',
  Join: true,
  Nodes: 2,
  UserStateLen: serfState.length,
  NodeStates: states,
  UserState: serfState,
}
const key = new Uint8Array(32).fill(5)
const ring = new Keyring([key])

describe('wire - stream - Appendix A', () => {
  it('writes the push/pull header as the spec reconstructs it', () => {
    const w = new MsgpackWriter()
    encodeStruct(w, SCHEMAS.pushPullHeader, { Join: true, Nodes: 2, UserStateLen: 588 })
    expect(toHex(w.finish())).toBe(APPENDIX_A.pushPullHeader)
  })

  it('frames a 258-byte LZW buffer as the captured compressed stream starts', () => {
    const w = new MsgpackWriter()
    w.byte(9)
    encodeStruct(w, SCHEMAS.compress, { Algo: 0, Buf: new Uint8Array(258) })
    expect(toHex(w.finish()).startsWith(APPENDIX_A.compressedStreamStart)).toBe(true)
  })

  it('frames a 212-byte plaintext as the captured encrypted stream starts (len 241 = 1+12+212+16)', () => {
    const s = buildStream(new Uint8Array(212).fill(6), { keyring: ring })
    expect(toHex(s.subarray(0, 6))).toBe(APPENDIX_A.encryptedStreamStart)
    expect(s.length).toBe(5 + 241)
  })
})

describe('wire - stream - messages', () => {
  it('round-trips a push/pull with node states and Serf user state', () => {
    const bytes = encodePushPull(pushPull)
    const { node, bytesRead } = readStream(bytes)
    expect(bytesRead).toBe(bytes.length)
    expect(node).toEqual(pushPull)
    if (node.type !== 'pushPull') throw new Error('shape')
    const serf = decodeSerfMessage(node.UserState)
    expect(serf.type).toBe('pushPull')
    expect(toHex(encodeStream(node))).toBe(toHex(bytes))
  })

  it('reads one message and reports its length, leaving what follows', () => {
    const ping = encodeMessage({ type: 'ping', SeqNo: 4, Node: 'a', SourceAddr: new Uint8Array(0), SourceNode: '', SourcePort: 0 })
    const both = Uint8Array.of(...ping, 0xaa, 0xbb)
    expect(readStream(both).bytesRead).toBe(ping.length)
    expect(decodeStream(both)).toMatchObject({ type: 'ping', SeqNo: 4 })
  })

  it('compresses always when asked (even when bigger) and encrypts with the 5-byte header as additional data', () => {
    const ack = encodeMessage({ type: 'ack', SeqNo: 1, Payload: null })
    const c = buildStream(ack, { compress: true })
    expect(c[0]).toBe(9)
    expect(c.length).toBeGreaterThan(ack.length)
    expect(decodeStream(c)).toEqual({ type: 'compress', Algo: 0, inner: { type: 'ack', SeqNo: 1, Payload: null } })
    const e = buildStream(encodePushPull(pushPull), { compress: true, keyring: ring })
    expect(e[0]).toBe(10)
    const node = decodeStream(e, { keyring: ring })
    expect(node).toMatchObject({ type: 'encrypt', vsn: 1, inner: { type: 'compress', inner: { type: 'pushPull', Nodes: 2 } } })
    // tampering with the length header breaks the authentication
    const tampered = Uint8Array.of(...e, 0)
    tampered[4]! += 1
    expect(codeOf(() => decodeStream(tampered, { keyring: ring }))).toBe('ERR_WIRE_DECRYPT')
    // version 0 frames too
    const v0 = buildStream(encodePushPull(pushPull), { keyring: ring, encryptionVersion: 0 })
    expect(decodeStream(v0, { keyring: ring })).toMatchObject({ type: 'encrypt', vsn: 0, inner: { type: 'pushPull' } })
    expect(encodeStream(decodeStream(v0, { keyring: ring }), { keyring: ring })).toEqual(v0)
  })

  it('round-trips user streams, TCP ping/ack and err', () => {
    const nodes: StreamNode[] = [
      { type: 'user', UserMsgLen: 3, Payload: Uint8Array.of(1, 0x81, 0xa0) },
      { type: 'ping', SeqNo: 1, Node: 'a', SourceAddr: new Uint8Array(0), SourceNode: '', SourcePort: 0 },
      { type: 'ack', SeqNo: 1, Payload: null },
      { type: 'err', Error: 'boom' },
      { type: 'compress', Algo: 0, inner: { type: 'err', Error: 'boom' } },
    ]
    for (const n of nodes) expect(decodeStream(encodeStream(n))).toEqual(n)
    expect(toHex(encodeStream(nodes[0]!))).toBe('0881aa557365724d73674c656e03' + '0181a0')
  })

  it('says TRUNCATED while bytes are missing, so a connection can wait for more', () => {
    const bytes = encodePushPull(pushPull)
    for (const cut of [0, 1, 10, 40, bytes.length - 1]) {
      expect(codeOf(() => readStream(bytes.subarray(0, cut)))).toBe('ERR_WIRE_TRUNCATED')
    }
    const e = buildStream(bytes, { keyring: ring })
    expect(codeOf(() => readStream(e.subarray(0, 3), { keyring: ring }))).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => readStream(e.subarray(0, e.length - 1), { keyring: ring }))).toBe('ERR_WIRE_TRUNCATED')
  })

  it('refuses oversized frames, missing keys, plaintext under encryption and unknown types', () => {
    expect(codeOf(() => readStream(fromHex('0a7fffffff01')))).toBe('ERR_WIRE_TOO_LARGE')
    const e = buildStream(encodePushPull(pushPull), { keyring: ring })
    expect(codeOf(() => readStream(e))).toBe('ERR_WIRE_ENCRYPTION_REQUIRED')
    expect(codeOf(() => readStream(encodePushPull(pushPull), { keyring: ring }))).toBe('ERR_WIRE_ENCRYPTION_REQUIRED')
    expect(readStream(encodePushPull(pushPull), { keyring: ring, verifyIncoming: false }).node.type).toBe('pushPull')
    expect(codeOf(() => readStream(Uint8Array.of(3, 0x80)))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    // compress inside compress is not a stream form
    const twice = buildStream(buildStream(encodeMessage({ type: 'err', Error: 'x' }), { compress: true }), { compress: true })
    expect(codeOf(() => readStream(twice))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    // push/pull header with negative counts / huge node count
    const w = new MsgpackWriter()
    w.byte(6)
    encodeStruct(w, SCHEMAS.pushPullHeader, { Join: false, Nodes: -1, UserStateLen: 0 })
    expect(codeOf(() => readStream(w.finish()))).toBe('ERR_WIRE_BAD_LENGTH')
    const w2 = new MsgpackWriter()
    w2.byte(6)
    encodeStruct(w2, SCHEMAS.pushPullHeader, { Join: false, Nodes: 2 ** 40, UserStateLen: 0 })
    expect(codeOf(() => readStream(w2.finish()))).toBe('ERR_WIRE_TRUNCATED')
  })

  it('refuses to encode a node state without a 6-byte Vsn', () => {
    expect(codeOf(() => encodePushPull({ ...pushPull, NodeStates: [{ ...states[0]!, Vsn: new Uint8Array(0) }] }))).toBe('ERR_WIRE_ENCODE')
  })
})

import { describe, expect, it } from 'vitest'
import {
  decodeCoordinatePayload,
  decodePacket,
  decodeSerfMessage,
  decodeTags,
  encodeCoordinatePayload,
  encodePacket,
  encodeSerfMessage,
  encodeTags,
  fromHex,
  newCoordinate,
  parseIp,
  toHex,
} from '../../src/wire/index.ts'
import type { SerfMessage, SerfPushPull, SerfQuery } from '../../src/wire/index.ts'
import { APPENDIX_A } from './vectors.ts'
import { codeOf, serfMember } from './helpers.ts'

const query: SerfQuery = {
  type: 'query',
  LTime: 7n,
  ID: 0xdeadbeef,
  Addr: parseIp('127.0.0.1'),
  Port: 17946,
  SourceNode: 'a',
  Filters: [
    { type: 'node', Nodes: ['a', 'b'] },
    { type: 'tag', Tag: 'role', Expr: '^web$' },
  ],
  Flags: 1,
  RelayFactor: 2,
  Timeout: 3_000_000_000n,
  Name: 'whoami',
  Payload: new TextEncoder().encode('qpayload'),
}

const pushPull: SerfPushPull = {
  type: 'pushPull',
  LTime: 3n,
  StatusLTimes: new Map([
    ['a', 0n],
    ['b', 1n],
  ]),
  LeftMembers: ['c'],
  EventLTime: 2n,
  Events: [null, { LTime: 1n, Events: [{ Name: 'deploy', Payload: Uint8Array.of(1) }] }, null],
  QueryLTime: 1n,
}

const samples: SerfMessage[] = [
  { type: 'leave', LTime: 4n, Node: 'c', Prune: false },
  { type: 'join', LTime: 2n ** 64n - 1n, Node: 'py' },
  pushPull,
  { type: 'userEvent', LTime: 1n, Name: 'deploy', Payload: null, CC: false },
  query,
  { ...query, Filters: null, Payload: null },
  { type: 'queryResponse', LTime: 7n, ID: 1, From: 'b', Flags: 1, Payload: null },
  {
    type: 'conflictResponse',
    Member: serfMember(),
  },
  { type: 'conflictResponse', Member: null },
  { type: 'keyRequest', Key: new Uint8Array(32).fill(7) },
  { type: 'keyResponse', Result: true, Message: '', Keys: ['QUJD'], PrimaryKey: 'QUJD' },
  {
    type: 'relay',
    DestAddr: { IP: parseIp('127.0.0.1'), Port: 17946, Zone: '' },
    DestName: 'a',
    Message: encodeSerfMessage({ type: 'queryResponse', LTime: 7n, ID: 1, From: 'b', Flags: 0, Payload: Uint8Array.of(9) }),
  },
]

describe('wire - serf - Appendix A vectors', () => {
  it('decodes the captured user event (inside user, inside hasCrc) and re-encodes it byte for byte', () => {
    const node = decodePacket(fromHex(APPENDIX_A.userEventWithCrc))
    expect(node.type).toBe('hasCrc')
    if (node.type !== 'hasCrc' || node.inner.type !== 'user') throw new Error('shape')
    const ev = decodeSerfMessage(node.inner.Payload)
    expect(ev).toEqual({ type: 'userEvent', CC: true, LTime: 1n, Name: 'deploy', Payload: new TextEncoder().encode('hello-payload') })
    expect(toHex(encodeSerfMessage(ev))).toBe(APPENDIX_A.userEventWithCrc.slice(12))
    expect(toHex(encodePacket(node))).toBe(APPENDIX_A.userEventWithCrc)
  })

  it('writes tags as the spec observed them', () => {
    expect(toHex(encodeTags({}))).toBe('ff80')
    // Go's map order is random; the spec saw {role, dc}. Ours is sorted, and both decode alike.
    const observed = fromHex('ff82a4726f6c65a3776562a26463a178')
    expect({ ...decodeTags(observed) }).toEqual({ role: 'web', dc: 'x' })
    expect(toHex(encodeTags({ role: 'web', dc: 'x' }))).toBe('ff82a26463a178a4726f6c65a3776562')
  })
})

describe('wire - serf - messages', () => {
  it('round-trips every Serf message type', () => {
    for (const msg of samples) expect(decodeSerfMessage(encodeSerfMessage(msg)), msg.type).toEqual(msg)
  })

  it('writes a query as the spec observed it (nil Filters, Timeout as 0xce)', () => {
    const hex = toHex(encodeSerfMessage({ ...query, Filters: null }))
    expect(hex.startsWith('04')).toBe(true)
    expect(hex).toContain(toHex(new TextEncoder().encode('Filters')) + 'c0')
    expect(hex).toContain(toHex(new TextEncoder().encode('Timeout')) + 'ceb2d05e00')
  })

  it('encodes filters as [0][names] and [1]{Expr, Tag}; unknown filters stay raw', () => {
    const q = decodeSerfMessage(encodeSerfMessage(query)) as SerfQuery
    expect(q.Filters).toEqual(query.Filters)
    const raw = encodeSerfMessage({ ...query, Filters: [{ type: 'unknown', Raw: Uint8Array.of(9, 1, 2) }] })
    expect((decodeSerfMessage(raw) as SerfQuery).Filters).toEqual([{ type: 'unknown', Raw: Uint8Array.of(9, 1, 2) }])
    const hex = toHex(raw)
    expect(hex).toContain('91a3090102')
  })

  it('writes the event ring with nil slots as c0 and LTime past 2^53 exactly', () => {
    const hex = toHex(encodeSerfMessage(pushPull))
    expect(hex).toContain('93c0')
    const big = encodeSerfMessage({ type: 'join', LTime: 2n ** 53n + 1n, Node: 'x' })
    expect((decodeSerfMessage(big) as { LTime: bigint }).LTime).toBe(2n ** 53n + 1n)
  })

  it('reads tags in the old role form and in the 0xFF form', () => {
    expect({ ...decodeTags(new TextEncoder().encode('web')) }).toEqual({ role: 'web' })
    expect({ ...decodeTags(new Uint8Array(0)) }).toEqual({ role: '' })
    expect(toHex(encodeTags({ role: 'web', dc: 'x' }, { form: 'role' }))).toBe('776562')
    expect(codeOf(() => encodeTags({ big: 'x'.repeat(600) }))).toBe('ERR_WIRE_ENCODE')
    expect(codeOf(() => decodeTags(fromHex('ff82a161')))).toBe('ERR_WIRE_TRUNCATED')
    // a key of "__proto__" is an ordinary tag
    const t = decodeTags(encodeTags({ ['__proto__']: 'x' } as Record<string, string>))
    expect(Object.keys(t)).toEqual(['__proto__'])
  })

  it('encodes and decodes the Vivaldi coordinate ack payload', () => {
    const c = newCoordinate()
    const payload = encodeCoordinatePayload(c)
    expect(payload[0]).toBe(1)
    expect(decodeCoordinatePayload(payload)).toEqual(c)
    expect(decodeCoordinatePayload(null)).toBeNull()
    expect(codeOf(() => decodeCoordinatePayload(Uint8Array.of(2, 0x80)))).toBe('ERR_WIRE_UNKNOWN_TYPE')
  })

  it('reports unknown Serf types, empty messages and relays without inner message', () => {
    expect(codeOf(() => decodeSerfMessage(Uint8Array.of(10)))).toBe('ERR_WIRE_UNKNOWN_TYPE')
    expect(codeOf(() => decodeSerfMessage(new Uint8Array(0)))).toBe('ERR_WIRE_EMPTY')
    const relay = encodeSerfMessage(samples[samples.length - 1]!)
    const header = relay.subarray(0, relay.length - (samples[samples.length - 1] as { Message: Uint8Array }).Message.length)
    expect(codeOf(() => decodeSerfMessage(header))).toBe('ERR_WIRE_TRUNCATED')
  })
})

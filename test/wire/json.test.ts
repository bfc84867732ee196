import { describe, expect, it } from 'vitest'
import {
  buildPacket,
  buildStream,
  decodePacket,
  decodeStream,
  encodeCoordinatePayload,
  encodeMessage,
  encodePushPull,
  encodeSerfMessage,
  encodeTags,
  fromHex,
  Keyring,
  newCoordinate,
  parseIp,
  serfToJson,
  toJson,
} from '../../src/wire/index.ts'
import { APPENDIX_A } from './vectors.ts'
import { serfMember } from './helpers.ts'

const VSN = Uint8Array.of(1, 5, 2, 2, 5, 5)
const user = (bytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(bytes.length + 1)
  out[0] = 8
  out.set(bytes, 1)
  return out
}

describe('wire - json', () => {
  it("uses Go's names, IPs as text, Meta as tags, other bytes as hex", () => {
    expect(toJson(decodePacket(fromHex(APPENDIX_A.alive)))).toEqual({
      type: 'alive',
      Addr: '127.0.0.1',
      Incarnation: 1,
      tags: { role: 'py' },
      Node: 'py',
      Port: 17950,
      Vsn: '010502020505',
    })
    expect(toJson(decodePacket(fromHex(APPENDIX_A.ping)))).toEqual({
      type: 'ping',
      Node: 'py',
      SeqNo: 23,
      SourceAddr: '127.0.0.1',
      SourceNode: 'a',
      SourcePort: 17946,
    })
  })

  it('puts wrapper content under inner, compound parts under parts, Serf messages under serf', () => {
    const j = toJson(decodePacket(fromHex(APPENDIX_A.userEventWithCrc)))
    expect(j).toEqual({
      type: 'hasCrc',
      crc: 'd0174c71',
      inner: { type: 'user', serf: { type: 'userEvent', CC: true, LTime: 1, Name: 'deploy', Payload: '68656c6c6f2d7061796c6f6164' } },
    })
    const ring = new Keyring([new Uint8Array(16)])
    const p = buildPacket([fromHex(APPENDIX_A.ping), encodeMessage({ type: 'nack', SeqNo: 2 })], { keyring: ring })
    const e = toJson(decodePacket(p, { keyring: ring })) as { type: string; vsn: number; keyIndex: number; nonce: string; inner: unknown }
    expect(e.type).toBe('encrypt')
    expect(e.vsn).toBe(1)
    expect(e.nonce).toMatch(/^[0-9a-f]{24}$/)
    expect(e.inner).toMatchObject({ type: 'compound', truncated: 0, parts: [{ type: 'ping' }, { type: 'nack', SeqNo: 2 }] })
  })

  it('writes integers past 2^53 as decimal strings', () => {
    const j = toJson(decodePacket(user(encodeSerfMessage({ type: 'join', LTime: 2n ** 63n, Node: 'x' }))))
    expect(j).toEqual({ type: 'user', serf: { type: 'join', LTime: '9223372036854775808', Node: 'x' } })
  })

  it('keeps an undecodable Serf payload as hex next to its error', () => {
    const j = toJson(decodePacket(Uint8Array.of(8, 42, 1)))
    expect(j).toMatchObject({ type: 'user', Payload: '2a01', serf: { error: { code: 'ERR_WIRE_UNKNOWN_TYPE' } } })
  })

  it('shows ack coordinates, query filters, internal key requests, relays and conflict members', () => {
    const ack = toJson(decodePacket(encodeMessage({ type: 'ack', SeqNo: 1, Payload: encodeCoordinatePayload(newCoordinate()) })))
    expect(ack).toMatchObject({ type: 'ack', coordinate: { Error: 1.5, Height: 1e-5, Vec: [0, 0, 0, 0, 0, 0, 0, 0] } })
    const key = new Uint8Array(16).fill(0xab)
    const q = serfToJson({
      type: 'query',
      LTime: 1n,
      ID: 2,
      Addr: parseIp('127.0.0.1'),
      Port: 1,
      SourceNode: 'a',
      Filters: [{ type: 'tag', Tag: 'role', Expr: 'web' }],
      Flags: 0,
      RelayFactor: 0,
      Timeout: 1_000_000_000n,
      Name: '_serf_install-key',
      Payload: encodeSerfMessage({ type: 'keyRequest', Key: key }),
    })
    expect(q).toMatchObject({ Addr: '127.0.0.1', Filters: [{ type: 'tag', Tag: 'role', Expr: 'web' }], request: { type: 'keyRequest', Key: 'ab'.repeat(16) } })
    const relay = serfToJson({
      type: 'relay',
      DestAddr: { IP: parseIp('10.0.0.9'), Port: 7946, Zone: '' },
      DestName: 'c',
      Message: encodeSerfMessage({ type: 'queryResponse', LTime: 1n, ID: 2, From: 'b', Flags: 1, Payload: null }),
    })
    expect(relay).toEqual({
      type: 'relay',
      DestAddr: { IP: '10.0.0.9', Port: 7946, Zone: '' },
      DestName: 'c',
      inner: { type: 'queryResponse', Flags: 1, From: 'b', ID: 2, LTime: 1, Payload: null },
    })
    const conflict = encodeSerfMessage({
      type: 'conflictResponse',
      Member: serfMember({ Addr: parseIp('::1'), Port: 1, Tags: new Map([['__proto__', 'x']]) }),
    })
    const resp = serfToJson({ type: 'queryResponse', LTime: 1n, ID: 2, From: 'b', Flags: 0, Payload: conflict })
    expect(JSON.parse(JSON.stringify(resp))).toMatchObject({ response: { type: 'conflictResponse', Member: { Addr: '::1', Tags: { ['__proto__']: 'x' } } } })
  })

  it('shows a push/pull stream with node states and the Serf state under serf', () => {
    const serf = encodeSerfMessage({
      type: 'pushPull',
      LTime: 2n,
      StatusLTimes: new Map([['a', 1n]]),
      LeftMembers: null,
      EventLTime: 1n,
      Events: [null],
      QueryLTime: 1n,
    })
    const bytes = buildStream(
      encodePushPull({
        Join: true,
        NodeStates: [{ Name: 'a', Addr: parseIp('::ffff:127.0.0.1'), Port: 1, Meta: encodeTags({ dc: 'x' }), Incarnation: 1, State: 0, Vsn: VSN }],
        UserState: serf,
      }),
      { compress: true },
    )
    expect(toJson(decodeStream(bytes))).toEqual({
      type: 'compress',
      Algo: 0,
      inner: {
        type: 'pushPull',
        Join: true,
        Nodes: 1,
        UserStateLen: serf.length,
        NodeStates: [{ Name: 'a', Addr: '127.0.0.1', Port: 1, tags: { dc: 'x' }, Incarnation: 1, State: 0, Vsn: '010502020505' }],
        serf: { type: 'pushPull', EventLTime: 1, Events: [null], LTime: 2, LeftMembers: null, QueryLTime: 1, StatusLTimes: { a: 1 } },
      },
    })
  })

  it('shows invalid compound parts with their error and bytes', () => {
    const j = toJson(decodePacket(Uint8Array.of(7, 1, 0, 1, 0xf4)))
    expect(j).toEqual({
      type: 'compound',
      parts: [{ type: 'invalid', error: { code: 'ERR_WIRE_UNKNOWN_TYPE', message: expect.any(String) }, bytes: 'f4' }],
      truncated: 0,
    })
  })
})

describe('wire - json - nesting', () => {
  it('bounds relays nested in relays', () => {
    let msg = encodeSerfMessage({ type: 'join', LTime: 1n, Node: 'x' })
    for (let i = 0; i < 3000; i++) {
      msg = encodeSerfMessage({ type: 'relay', DestAddr: { IP: parseIp('127.0.0.1'), Port: 1, Zone: '' }, DestName: '', Message: msg })
    }
    const j = toJson(decodePacket(user(msg))) as Record<string, unknown>
    let depth = 0
    let inner = j['serf'] as Record<string, unknown>
    while (inner['inner'] !== undefined && inner['type'] === 'relay') {
      inner = inner['inner'] as Record<string, unknown>
      depth++
    }
    expect(depth).toBeLessThanOrEqual(9)
    expect(inner).toMatchObject({ error: { code: 'ERR_WIRE_TOO_DEEP' } })
  })
})

/**
 * fast-check arbitraries of hostile input for one swim node (issue 10): datagrams and streams of
 * garbage, of corrupted valid packets, and of well-formed memberlist messages with any field value
 * (names empty, oversized, not UTF-8, the target's own, a BOM in front of the peer's; IPs of any
 * length; Vsn of any length and value; Meta past 512 bytes; incarnations at 0 and 2^32 − 1; fields
 * missing or of the wrong msgpack type), alone, in compounds, under CRC or compression.
 */
import fc from 'fast-check'
import { compressMessage, wrapCrc } from '../../../src/wire/packet.ts'
import { DEFAULT_VSN } from '../../../actors/swim/messages.ts'
import { MAX_INCARNATION } from '../../../actors/swim/acceptance.ts'
import { rawMessage, rawPushPull } from '../../actors/swim/support/raw-wire.ts'
import type { RawFields, RawValue } from '../../actors/swim/support/raw-wire.ts'

/** Who is who: the target, its honest peer, and the attacker's own address. */
export interface HostileWorld {
  targetName: string
  targetAddr: Uint8Array
  peerName: string
  peerAddr: Uint8Array
  attackerAddr: Uint8Array
  port: number
}

export type HostileInput = { kind: 'datagram'; bytes: Uint8Array } | { kind: 'stream'; bytes: Uint8Array; end: boolean }

const utf8 = (s: string) => new TextEncoder().encode(s)

/** A field value, or (rarely) a value of the wrong msgpack type, or (rarely) the field left out. */
function field<T extends RawValue>(value: fc.Arbitrary<T>): fc.Arbitrary<RawValue | undefined> {
  return fc.oneof(
    { weight: 20, arbitrary: value },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom<RawValue>(null, true, -1, 'str', Uint8Array.of(1, 2), 1.5e300) },
  )
}

export function hostileArbitraries(w: HostileWorld) {
  const name: fc.Arbitrary<RawValue> = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<RawValue>(w.targetName, w.peerName, 'h1', 'h2', 'h3') },
    { weight: 2, arbitrary: fc.constantFrom<RawValue>('', 'n'.repeat(512), 'n'.repeat(513), 'a\nb', '\0', `\uFEFF${w.peerName}`) },
    { weight: 1, arbitrary: fc.constant<RawValue>(Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8(w.peerName))) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }) }, // raw bytes: mostly not UTF-8
    { weight: 2, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) },
  )
  const ip: fc.Arbitrary<RawValue> = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<RawValue>(w.targetAddr, w.peerAddr, w.attackerAddr) },
    { weight: 1, arbitrary: fc.constant<RawValue>(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...w.attackerAddr)) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 20 }) },
  )
  const port: fc.Arbitrary<RawValue> = fc.oneof(fc.constantFrom<RawValue>(0, w.port, 65535), fc.integer({ min: 0, max: 65535 }))
  const incarnation: fc.Arbitrary<RawValue> = fc.oneof(
    fc.constantFrom<RawValue>(0, 1, 2, MAX_INCARNATION - 1, MAX_INCARNATION),
    fc.integer({ min: 0, max: 50 }),
    fc.integer({ min: 0, max: MAX_INCARNATION }),
  )
  const meta: fc.Arbitrary<RawValue> = fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 24 }) },
    { weight: 1, arbitrary: fc.constantFrom<RawValue>(new Uint8Array(512), new Uint8Array(513), new Uint8Array(1300)) },
  )
  const vsn: fc.Arbitrary<RawValue> = fc.oneof(
    { weight: 4, arbitrary: fc.constant<RawValue>(DEFAULT_VSN) },
    { weight: 2, arbitrary: fc.uint8Array({ minLength: 6, maxLength: 6, max: 6 }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 8 }) },
  )
  const seq: fc.Arbitrary<RawValue> = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: MAX_INCARNATION }))

  const fields = (entries: Record<string, fc.Arbitrary<RawValue | undefined>>): fc.Arbitrary<RawFields> =>
    fc.record(entries).map((r) => Object.entries(r).filter((e): e is [string, RawValue] => e[1] !== undefined))

  const alive = fields({ Incarnation: field(incarnation), Node: field(name), Addr: field(ip), Port: field(port), Meta: field(meta), Vsn: field(vsn) })
  const rumour = fields({ Incarnation: field(incarnation), Node: field(name), From: field(name) })

  /** One memberlist message (type byte + body), well-formed or not. */
  const message: fc.Arbitrary<Uint8Array> = fc.oneof(
    { weight: 6, arbitrary: alive.map((f) => rawMessage('alive', f)) },
    { weight: 3, arbitrary: rumour.map((f) => rawMessage('suspect', f)) },
    { weight: 3, arbitrary: rumour.map((f) => rawMessage('dead', f)) },
    {
      weight: 2,
      arbitrary: fields({ SeqNo: field(seq), Node: field(name), SourceAddr: field(ip), SourcePort: field(port), SourceNode: field(name) }).map((f) => rawMessage('ping', f)),
    },
    {
      weight: 1,
      arbitrary: fields({ SeqNo: field(seq), Target: field(ip), Port: field(port), Node: field(name), Nack: field(fc.boolean()), SourceAddr: field(ip), SourcePort: field(port) }).map((f) =>
        rawMessage('indirectPing', f),
      ),
    },
    { weight: 1, arbitrary: fields({ SeqNo: field(seq), Payload: field(fc.uint8Array({ maxLength: 16 })) }).map((f) => rawMessage('ack', f)) },
    { weight: 1, arbitrary: fields({ SeqNo: field(seq) }).map((f) => rawMessage('nack', f)) },
    // A user message: Serf's bytes after 0x08, garbage or a Serf type byte with garbage.
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((p) => Uint8Array.of(8, ...p)) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }) },
  )

  const compound = (parts: Uint8Array[]): Uint8Array => {
    const out = [7, parts.length]
    for (const p of parts) out.push(p.length >> 8, p.length & 0xff)
    return Uint8Array.from([...out, ...parts.flatMap((p) => [...p])])
  }

  const wellFormed: fc.Arbitrary<Uint8Array> = fc.oneof(
    { weight: 4, arbitrary: message },
    { weight: 3, arbitrary: fc.array(message, { minLength: 1, maxLength: 5 }).map(compound) },
    { weight: 1, arbitrary: message.map(wrapCrc) },
    { weight: 1, arbitrary: fc.array(message, { minLength: 1, maxLength: 3 }).map((ps) => compressMessage(compound(ps))) },
  )

  /** A datagram: well-formed, corrupted (bytes flipped, cut short) or garbage. */
  const datagram: fc.Arbitrary<Uint8Array> = fc.oneof(
    { weight: 6, arbitrary: wellFormed },
    {
      weight: 2,
      arbitrary: fc.tuple(wellFormed, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([b, at, v, cut]) => {
        const i = at % b.length
        if (cut) return b.subarray(0, i)
        const c = b.slice()
        c[i] = v
        return c
      }),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  )

  const state = fields({ Name: field(name), Addr: field(ip), Port: field(port), Meta: field(meta), Incarnation: field(incarnation), State: field(fc.integer({ min: 0, max: 5 })), Vsn: field(vsn) })
  const stream: fc.Arbitrary<HostileInput> = fc.record({
    bytes: fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.boolean(), fc.array(state, { maxLength: 6 })).map(([join, states]) => rawPushPull(join, states)) },
      { weight: 1, arbitrary: wellFormed },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    ),
    end: fc.boolean(),
  }).map((s) => ({ kind: 'stream' as const, ...s }))

  const input: fc.Arbitrary<HostileInput> = fc.oneof({ weight: 8, arbitrary: datagram.map((bytes) => ({ kind: 'datagram' as const, bytes })) }, { weight: 1, arbitrary: stream })

  return { name, message, datagram, stream, input }
}

/**
 * Property tests: encode/decode round trips for every message, and random or mutated input never
 * escaping as anything but a coded WireCodecError (nor as ERR_WIRE_INTERNAL, which marks a bug).
 * Runs are bounded so the whole test/wire suite stays well under 30 s.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  buildPacket,
  buildStream,
  decodeMessage,
  decodePacket,
  decodeSerfMessage,
  decodeStream,
  encodeMessage,
  encodePacket,
  encodeSerfMessage,
  encodeStream,
  flattenPacket,
  Keyring,
  serfToJson,
  toJson,
  WireCodecError,
} from '../../src/wire/index.ts'
import { gossipMessage, packetTree, serfMessage, streamTree } from './arbitraries.ts'

const ring = new Keyring([new Uint8Array(16).fill(1), new Uint8Array(32).fill(2)])

/** Runs fn; a thrown value must be a coded WireCodecError that is not an internal bug. */
function onlyCoded(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof WireCodecError)) throw new Error(`untyped error escaped: ${String(err)}`)
    if (err.code === 'ERR_WIRE_INTERNAL') throw new Error(`internal error: ${err.message}`)
  }
}

/** Byte-level mutations: flip, overwrite, truncate, insert, duplicate a slice. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.uint8Array({ minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constant('lengthy' as const), at: fc.nat(), value: fc.constantFrom(0xdb, 0xdd, 0xdf, 0xc6, 0xff, 0xce) }),
)
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never

function mutate(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = bytes.slice()
  for (const m of ms) {
    if (b.length === 0) break
    const at = m.at % b.length
    switch (m.kind) {
      case 'flip':
        b[at]! ^= 1 << m.bit
        break
      case 'set':
      case 'lengthy':
        b[at] = m.value
        break
      case 'cut':
        b = b.subarray(0, at)
        break
      case 'insert':
        b = Uint8Array.of(...b.subarray(0, at), ...m.value, ...b.subarray(at))
        break
    }
  }
  return b
}

describe('wire - properties - round trips', () => {
  it('every memberlist message survives encode -> decode -> encode', () => {
    fc.assert(
      fc.property(gossipMessage, (msg) => {
        const bytes = encodeMessage(msg)
        const back = decodeMessage(bytes)
        expect(back).toEqual(msg)
        expect(encodeMessage(back)).toEqual(bytes)
      }),
      { numRuns: 400 },
    )
  })

  it('every Serf message survives encode -> decode -> encode', () => {
    fc.assert(
      fc.property(serfMessage, (msg) => {
        const bytes = encodeSerfMessage(msg)
        const back = decodeSerfMessage(bytes)
        expect(back).toEqual(msg)
        expect(encodeSerfMessage(back)).toEqual(bytes)
      }),
      { numRuns: 400 },
    )
  })

  it('packet trees (compound, compress, CRC, encryption) survive encode -> decode -> encode', () => {
    fc.assert(
      fc.property(packetTree, fc.boolean(), (tree, encrypt) => {
        let bytes: Uint8Array
        try {
          bytes = encodePacket(tree)
        } catch (err) {
          // an empty compound inside compress decompresses fine; only over-large parts may fail
          expect(err).toBeInstanceOf(WireCodecError)
          return
        }
        const sealed = encrypt ? buildPacket([bytes], { keyring: ring }) : bytes
        const back = decodePacket(sealed, encrypt ? { keyring: ring } : {})
        expect(flattenPacket(back).messages).toEqual(flattenPacket(tree).messages)
        const inner = back.type === 'encrypt' ? back.inner : back
        expect(encodePacket(inner)).toEqual(bytes)
        expect(() => JSON.stringify(toJson(back))).not.toThrow()
      }),
      { numRuns: 250 },
    )
  })

  it('stream messages (plain, compressed, encrypted) survive encode -> decode -> encode', () => {
    fc.assert(
      fc.property(streamTree, fc.boolean(), (node, encrypt) => {
        const bytes = encodeStream(node)
        const framed = encrypt ? buildStream(bytes, { keyring: ring }) : bytes
        const back = decodeStream(framed, encrypt ? { keyring: ring } : {})
        expect(back.type === 'encrypt' ? back.inner : back).toEqual(node)
        expect(encodeStream(back, { keyring: ring })).toEqual(framed)
        expect(() => JSON.stringify(toJson(back))).not.toThrow()
      }),
      { numRuns: 200 },
    )
  })
})

describe('wire - properties - malformed input', () => {
  it('random bytes never escape as untyped errors (packets, streams, Serf messages, JSON)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        onlyCoded(() => toJson(decodePacket(bytes)))
        onlyCoded(() => toJson(decodePacket(bytes, { keyring: ring, verifyIncoming: false })))
        onlyCoded(() => toJson(decodeStream(bytes)))
        onlyCoded(() => serfToJson(decodeSerfMessage(bytes)))
      }),
      { numRuns: 1500 },
    )
  })

  it('random bytes behind a valid type byte never escape as untyped errors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 13 }), fc.uint8Array({ maxLength: 200 }), (t, rest) => {
        const bytes = Uint8Array.of(t, ...rest)
        onlyCoded(() => toJson(decodePacket(bytes)))
        onlyCoded(() => toJson(decodeStream(bytes)))
        onlyCoded(() => serfToJson(decodeSerfMessage(Uint8Array.of(t % 10, ...rest))))
      }),
      { numRuns: 1500 },
    )
  })

  it('mutated valid packets never escape as untyped errors', () => {
    fc.assert(
      fc.property(packetTree, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (tree, ms, crc) => {
        let bytes: Uint8Array
        try {
          bytes = encodePacket(tree)
        } catch {
          return
        }
        if (crc) bytes = buildPacket([bytes], { crc: true })
        onlyCoded(() => toJson(decodePacket(mutate(bytes, ms))))
        const sealed = buildPacket([bytes], { keyring: ring })
        onlyCoded(() => toJson(decodePacket(mutate(sealed, ms), { keyring: ring })))
      }),
      { numRuns: 400 },
    )
  })

  it('mutated valid streams and Serf messages never escape as untyped errors', () => {
    fc.assert(
      fc.property(streamTree, serfMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }), (node, serf, ms) => {
        const bytes = encodeStream(node)
        onlyCoded(() => toJson(decodeStream(mutate(bytes, ms))))
        onlyCoded(() => toJson(decodeStream(mutate(buildStream(bytes, { keyring: ring, compress: true }), ms), { keyring: ring })))
        onlyCoded(() => serfToJson(decodeSerfMessage(mutate(encodeSerfMessage(serf), ms))))
      }),
      { numRuns: 300 },
    )
  })

  it('mutated compressed payloads never escape as untyped errors, and never expand without bound', () => {
    fc.assert(
      fc.property(fc.array(gossipMessage, { minLength: 2, maxLength: 8 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (msgs, ms) => {
        const bytes = buildPacket(msgs.map((m) => encodeMessage(m)), { compress: true })
        onlyCoded(() => toJson(decodePacket(mutate(bytes, ms), { maxDecompressedBytes: 1 << 20 })))
      }),
      { numRuns: 300 },
    )
  })
})

/**
 * Arrays of a nullable struct (Serf's push/pull event buffer: 512 slots, most of them nil) have
 * their nil slots written as one run and read one byte each, outside the per-value codec
 * (schema.ts). The bytes, the decoded values and the errors must be those of the per-value path:
 * a nil per empty slot, null back, a truncation or a nesting past the bound refused with its code.
 */
import { describe, expect, it } from 'vitest'
import { MsgpackReader } from '../../src/wire/msgpack/reader.ts'
import { MsgpackWriter } from '../../src/wire/msgpack/writer.ts'
import { decodeStruct, defineStruct, encodeStruct } from '../../src/wire/schema.ts'
import { decodeSerfMessage, encodeSerfMessage } from '../../src/wire/index.ts'
import type { SerfPushPull } from '../../src/wire/index.ts'

const slot = defineStruct('slot', [{ name: 'N', type: 'u32' }])
const holder = defineStruct('holder', [{ name: 'Slots', type: { array: { struct: slot, nullable: true } } }])

/** The bytes as the per-value path writes them: array header, then a nil or a one-field map each. */
function expected(slots: Array<{ N: number } | null | undefined>): Uint8Array {
  const w = new MsgpackWriter()
  w.mapHeader(1)
  w.string('Slots')
  w.arrayHeader(slots.length)
  for (const s of slots) {
    if (s === null || s === undefined) w.nil()
    else {
      w.mapHeader(1)
      w.string('N')
      w.uint(s.N)
    }
  }
  return w.finish()
}

function encode(slots: Array<{ N: number } | null | undefined>, initialSize = 256): Uint8Array {
  const w = new MsgpackWriter(initialSize)
  encodeStruct(w, holder, { Slots: slots })
  return w.finish()
}

describe('nil slots of a nullable struct array', () => {
  it('writes one nil per empty slot (null or undefined), between and around values', () => {
    const slots = [null, null, { N: 7 }, undefined, null, { N: 300 }, null]
    expect(encode(slots)).toEqual(expected(slots))
    expect(decodeStruct(new MsgpackReader(encode(slots)), holder)).toEqual({ Slots: [null, null, { N: 7 }, null, null, { N: 300 }, null] })
  })

  it('grows the buffer for a run longer than it (a 600-slot run from a 16-byte writer)', () => {
    const slots = new Array<null>(600).fill(null)
    const bytes = encode(slots, 16)
    expect(bytes).toEqual(expected(slots))
    expect(bytes.filter((b) => b === 0xc0).length).toBe(600)
  })

  it('keeps a push/pull with Serf\'s 512-slot event buffer byte for byte through a round trip', () => {
    const events: SerfPushPull['Events'] = new Array(512).fill(null)
    events[5] = { LTime: 9n, Events: [{ Name: 'deploy', Payload: new Uint8Array([1, 2]) }] }
    const pp: SerfPushPull = { type: 'pushPull', LTime: 3n, StatusLTimes: new Map([['a', 1n]]), LeftMembers: [], EventLTime: 10n, Events: events, QueryLTime: 1n }
    const bytes = encodeSerfMessage(pp)
    const back = decodeSerfMessage(bytes) as SerfPushPull
    expect(back.Events).toHaveLength(512)
    expect(back.Events!.filter((e) => e !== null)).toHaveLength(1)
    expect(back.Events![5]).toMatchObject({ LTime: 9n, Events: [{ Name: 'deploy' }] })
    expect(encodeSerfMessage(back)).toEqual(bytes)
  })

  it('refuses an array cut short in a run of nils as truncated', () => {
    const bytes = encode([null, null, null, null])
    // The header says 4 slots; only 2 of them are there.
    const cut = bytes.subarray(0, bytes.length - 2)
    expect(() => decodeStruct(new MsgpackReader(cut), holder)).toThrow(expect.objectContaining({ code: 'ERR_WIRE_TRUNCATED' }))
  })

  it('refuses nil slots nested past the depth bound, as the per-value path does', () => {
    const bytes = encode([null, null])
    // The slots are at depth 2 (struct 0, array 1, slot 2): a bound of 1 refuses them, 2 reads them.
    expect(() => decodeStruct(new MsgpackReader(bytes, 0, bytes.length, 1), holder)).toThrow(expect.objectContaining({ code: 'ERR_WIRE_TOO_DEEP' }))
    expect(decodeStruct(new MsgpackReader(bytes, 0, bytes.length, 2), holder)).toEqual({ Slots: [null, null] })
  })
})

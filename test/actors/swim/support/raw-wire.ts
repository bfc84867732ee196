/**
 * Hand-made memberlist messages for hostile-input tests: any field set, any value, written with the
 * msgpack writer directly, so none of the encoder's checks apply (an alive without Vsn, a 3-byte
 * Vsn, a name whose bytes are not UTF-8, a State no version knows). A name given as bytes is
 * written as a raw string of exactly those bytes, as a Go peer would send it.
 */
import { MsgpackWriter } from '../../../../src/wire/msgpack/writer.ts'
import { MessageType } from '../../../../src/wire/memberlist.ts'

/** A field value: a string (UTF-8), raw bytes (a Go string or []byte), an integer or a float64, a bool, or nil. */
export type RawValue = string | Uint8Array | number | boolean | null

/** Fields in the order given (Go sorts them; decoders must not care). */
export type RawFields = ReadonlyArray<readonly [string, RawValue]>

function writeValue(w: MsgpackWriter, v: RawValue): void {
  if (v === null) return w.nil()
  if (typeof v === 'string') return w.string(v)
  if (typeof v === 'boolean') return w.bool(v)
  if (typeof v === 'number') return !Number.isSafeInteger(v) ? w.float64(v) : v < 0 ? w.int(v) : w.uint(v)
  return w.bytes(v)
}

function writeMap(w: MsgpackWriter, fields: RawFields): void {
  w.mapHeader(fields.length)
  for (const [k, v] of fields) {
    w.string(k)
    writeValue(w, v)
  }
}

/** `[type][msgpack map of fields]`. */
export function rawMessage(type: 'alive' | 'suspect' | 'dead' | 'ping' | 'indirectPing' | 'ack' | 'nack', fields: RawFields): Uint8Array {
  const w = new MsgpackWriter(256)
  w.byte(MessageType[type])
  writeMap(w, fields)
  return w.finish()
}

/** An alive with the usual fields, any of them replaced or (value undefined) left out. */
export function rawAlive(over: Partial<Record<'Incarnation' | 'Node' | 'Addr' | 'Port' | 'Meta' | 'Vsn', RawValue | undefined>>): Uint8Array {
  const base: Record<string, RawValue | undefined> = {
    Addr: Uint8Array.of(10, 9, 9, 9),
    Incarnation: 1,
    Meta: new Uint8Array(0),
    Node: 'x',
    Port: 7946,
    Vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
  }
  const merged = { ...base, ...over }
  return rawMessage('alive', Object.entries(merged).filter((e): e is [string, RawValue] => e[1] !== undefined))
}

/** A plaintext push/pull stream message: `[6]{Join, Nodes, UserStateLen}` + states + user state. */
export function rawPushPull(join: boolean, states: readonly RawFields[], userState: Uint8Array = new Uint8Array(0)): Uint8Array {
  const w = new MsgpackWriter(256)
  w.byte(MessageType.pushPull)
  writeMap(w, [
    ['Join', join],
    ['Nodes', states.length],
    ['UserStateLen', userState.length],
  ])
  for (const s of states) writeMap(w, s)
  w.raw(userState)
  return w.finish()
}

/** A push/pull node state with the usual fields, any of them replaced. */
export function rawState(over: Partial<Record<'Name' | 'Addr' | 'Port' | 'Meta' | 'Incarnation' | 'State' | 'Vsn', RawValue>>): RawFields {
  const base: Record<string, RawValue> = {
    Addr: Uint8Array.of(10, 9, 9, 9),
    Incarnation: 1,
    Meta: new Uint8Array(0),
    Name: 'x',
    Port: 7946,
    State: 0,
    Vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
  }
  return Object.entries({ ...base, ...over })
}

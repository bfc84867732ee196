/**
 * Schema-driven msgpack structs. Each Go struct the protocol uses is described once: its exact Go
 * field names and types. Encoding writes the fields in byte-wise sorted key order (as go-msgpack's
 * sorted field list does), leaving out `omitempty` fields that are zero; decoding matches keys
 * exactly in any order, skips unknown keys and leaves missing fields at their zero value.
 */
import { wireError, WireCodecError } from './errors.ts'
import type { MsgpackReader } from './msgpack/reader.ts'
import type { MsgpackWriter } from './msgpack/writer.ts'

export type ScalarType =
  | 'str' // Go string: raw family out, raw/str8 in
  | 'bytes' // Go []byte that is never nil in practice: nil decodes as an empty array
  | 'nbytes' // Go []byte that may be nil (c0): null <-> nil
  | 'u8'
  | 'u16'
  | 'u32' // number
  | 'u64' // bigint
  | 'i64' // bigint (time.Duration, int64)
  | 'int' // Go int used as a count or enum: a safe JS integer
  | 'bool'
  | 'f64'

export type FieldType =
  | ScalarType
  | { readonly array: FieldType; readonly nullable?: boolean } // Go slice; nullable: nil <-> null
  | { readonly map: FieldType } // Go map[string]V, as a Map in wire order
  | { readonly struct: StructSchema; readonly nullable?: boolean } // nested struct (or pointer)

export interface FieldDef {
  readonly name: string
  readonly type: FieldType
  /** Go `omitempty`: left out of the map when zero. */
  readonly omitempty?: boolean
}

export interface StructSchema {
  readonly name: string
  /** Fields in wire order (byte-wise sorted names). */
  readonly fields: readonly FieldDef[]
  readonly byName: ReadonlyMap<string, FieldDef>
  /** Each field's name as UTF-8 bytes (matched against keys without building strings). */
  readonly nameBytes: readonly Uint8Array[]
  /** Each field's key as written: raw header + name. */
  readonly keyBytes: readonly Uint8Array[]
  /** Whether any field is omitempty (else every field is always written). */
  readonly hasOmitempty: boolean
}

export type Struct = Record<string, unknown>

const EMPTY = new Uint8Array(0)

export function defineStruct(name: string, fields: FieldDef[]): StructSchema {
  const sorted = [...fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const nameBytes = sorted.map((f) => new TextEncoder().encode(f.name))
  const keyBytes = nameBytes.map((b) => {
    if (b.length >= 32) throw new Error(`field name too long for this codec: ${name}`)
    return Uint8Array.of(0xa0 | b.length, ...b)
  })
  const hasOmitempty = sorted.some((f) => f.omitempty === true)
  return { name, fields: sorted, byName: new Map(sorted.map((f) => [f.name, f])), nameBytes, keyBytes, hasOmitempty }
}

function zeroOf(type: FieldType): unknown {
  switch (type) {
    case 'str':
      return ''
    case 'bytes':
      return EMPTY
    case 'nbytes':
      return null
    case 'u8':
    case 'u16':
    case 'u32':
    case 'int':
    case 'f64':
      return 0
    case 'u64':
    case 'i64':
      return 0n
    case 'bool':
      return false
  }
  if ('array' in type) return type.nullable === true ? null : []
  if ('map' in type) return new Map()
  return type.nullable === true ? null : zeroStruct(type.struct)
}

export function zeroStruct(schema: StructSchema): Struct {
  const out: Struct = {}
  for (const f of schema.fields) out[f.name] = zeroOf(f.type)
  return out
}

function isZero(type: FieldType, v: unknown): boolean {
  if (v === null || v === undefined) return true
  switch (type) {
    case 'str':
      return v === ''
    case 'bytes':
    case 'nbytes':
      return (v as Uint8Array).length === 0
    case 'bool':
      return v === false
    case 'u64':
    case 'i64':
      return BigInt(v as bigint) === 0n
    case 'u8':
    case 'u16':
    case 'u32':
    case 'int':
    case 'f64':
      return v === 0
  }
  if ('array' in type) return (v as unknown[]).length === 0
  if ('map' in type) return (v as Map<string, unknown>).size === 0
  return false
}

export function encodeStruct(w: MsgpackWriter, schema: StructSchema, value: Struct): void {
  let n = 0
  if (schema.hasOmitempty) {
    for (const f of schema.fields) if (!(f.omitempty === true && isZero(f.type, value[f.name]))) n++
  } else {
    n = schema.fields.length
  }
  w.mapHeader(n)
  for (let i = 0; i < schema.fields.length; i++) {
    const f = schema.fields[i]!
    const v = value[f.name]
    if (f.omitempty === true && isZero(f.type, v)) continue
    w.raw(schema.keyBytes[i]!)
    try {
      encodeValue(w, f.type, v)
    } catch (err) {
      throw annotate(err, `${schema.name}.${f.name}`)
    }
  }
}

const U_MAX = { u8: 0xff, u16: 0xffff, u32: 0xffffffff } as const

function encodeValue(w: MsgpackWriter, type: FieldType, v: unknown): void {
  switch (type) {
    case 'str':
      if (typeof v !== 'string') throw wireError('ERR_WIRE_ENCODE', `expected a string, got ${typeof v}`)
      return w.string(v)
    case 'bytes':
    case 'nbytes':
      if (v === null || v === undefined) return w.nil()
      if (!(v instanceof Uint8Array)) throw wireError('ERR_WIRE_ENCODE', 'expected a Uint8Array')
      return w.bytes(v)
    case 'u8':
    case 'u16':
    case 'u32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > U_MAX[type]) {
        throw wireError('ERR_WIRE_ENCODE', `${String(v)} does not fit ${type}`)
      }
      return w.uint(v)
    case 'u64':
      if (typeof v !== 'bigint' && typeof v !== 'number') throw wireError('ERR_WIRE_ENCODE', 'expected a bigint')
      return w.uint(v)
    case 'i64':
    case 'int':
      if (typeof v !== 'bigint' && typeof v !== 'number') throw wireError('ERR_WIRE_ENCODE', 'expected an integer')
      return w.int(v)
    case 'bool':
      return w.bool(v === true)
    case 'f64':
      if (typeof v !== 'number') throw wireError('ERR_WIRE_ENCODE', 'expected a number')
      return w.float64(v)
  }
  if ('array' in type) {
    if (v === null || v === undefined) return type.nullable === true ? w.nil() : w.arrayHeader(0)
    const arr = v as readonly unknown[]
    w.arrayHeader(arr.length)
    for (const item of arr) encodeValue(w, type.array, item)
    return
  }
  if ('map' in type) {
    const m = v instanceof Map ? (v as Map<string, unknown>) : new Map(Object.entries((v ?? {}) as object))
    w.mapHeader(m.size)
    for (const [k, item] of m) {
      w.string(k)
      encodeValue(w, type.map, item)
    }
    return
  }
  if (v === null || v === undefined) {
    if (type.nullable === true) return w.nil()
    return encodeStruct(w, type.struct, zeroStruct(type.struct))
  }
  encodeStruct(w, type.struct, v as Struct)
}

/**
 * Decodes one struct (a msgpack map; nil gives the zero struct). `type`, when given, becomes the
 * first property (the discriminant of a message union). Keys are matched as bytes, trying the
 * field after the previous match first, since Go writes them in sorted order.
 */
export function decodeStruct(r: MsgpackReader, schema: StructSchema, depth = 0, type?: string): Struct {
  if (depth > r.maxDepth) throw wireError('ERR_WIRE_TOO_DEEP', `${schema.name}: nested deeper than ${r.maxDepth}`)
  const out: Struct = type === undefined ? {} : { type }
  const fields = schema.fields
  const nf = fields.length
  for (let i = 0; i < nf; i++) out[fields[i]!.name] = zeroOf(fields[i]!.type)
  const n = r.mapHeader(schema.name)
  if (n === null) return out
  let hint = 0
  for (let i = 0; i < n; i++) {
    const len = r.keyLength()
    const start = r.pos
    r.pos += len
    let idx = -1
    for (let j = 0; j < nf; j++) {
      const k = hint + j < nf ? hint + j : hint + j - nf
      const name = schema.nameBytes[k]!
      if (name.length !== len) continue
      let same = true
      for (let b = 0; b < len; b++) {
        if (r.buf[start + b] !== name[b]) {
          same = false
          break
        }
      }
      if (same) {
        idx = k
        break
      }
    }
    if (idx < 0) {
      r.skip(depth + 1)
      continue
    }
    hint = idx + 1 < nf ? idx + 1 : 0
    const f = fields[idx]!
    try {
      out[f.name] = decodeValue(r, f.type, `${schema.name}.${f.name}`, depth + 1)
    } catch (err) {
      throw annotate(err, `${schema.name}.${f.name}`)
    }
  }
  return out
}

function decodeValue(r: MsgpackReader, type: FieldType, field: string, depth: number): unknown {
  switch (type) {
    case 'str':
      return r.string(field)
    case 'bytes':
      return r.bytes(field) ?? EMPTY
    case 'nbytes':
      return r.bytes(field)
    case 'u8':
      return r.uint(8, field)
    case 'u16':
      return r.uint(16, field)
    case 'u32':
      return r.uint(32, field)
    case 'u64':
      return r.u64(field)
    case 'i64':
      return r.i64(field)
    case 'int':
      return r.int(field)
    case 'bool':
      return r.bool(field)
    case 'f64':
      return r.float64(field)
  }
  if (depth > r.maxDepth) throw wireError('ERR_WIRE_TOO_DEEP', `${field}: nested deeper than ${r.maxDepth}`)
  if ('array' in type) {
    const n = r.arrayHeader(field)
    if (n === null) return type.nullable === true ? null : []
    const out: unknown[] = []
    for (let i = 0; i < n; i++) out.push(decodeValue(r, type.array, field, depth + 1))
    return out
  }
  if ('map' in type) {
    const n = r.mapHeader(field)
    const out = new Map<string, unknown>()
    if (n === null) return out
    for (let i = 0; i < n; i++) {
      const k = r.key()
      out.set(k, decodeValue(r, type.map, field, depth + 1))
    }
    return out
  }
  if (type.nullable === true && r.isNil()) {
    r.u8()
    return null
  }
  return decodeStruct(r, type.struct, depth + 1)
}

/** Adds the field path to a coded error's message (once, innermost first). */
function annotate(err: unknown, path: string): unknown {
  if (err instanceof WireCodecError && err.details?.['field'] === undefined) {
    const message = err.message.startsWith(path) ? err.message : `${path}: ${err.message}`
    return new WireCodecError(err.code, message, { cause: err, details: { ...err.details, field: path } })
  }
  return err
}

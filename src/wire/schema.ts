/**
 * Schema-driven msgpack structs. Each Go struct the protocol uses is described once: its exact Go
 * field names and types. Encoding writes the fields in byte-wise sorted key order (as go-msgpack's
 * sorted field list does), leaving out `omitempty` fields that are zero; decoding matches keys
 * exactly in any order, skips unknown keys and leaves missing fields at their zero value.
 */
import { wireError, WireCodecError } from './errors.ts'
import type { MsgpackReader } from './msgpack/reader.ts'
import type { MsgpackWriter } from './msgpack/writer.ts'
import {
  EMPTY,
  K_BOOL,
  K_BYTES,
  K_F64,
  K_I64,
  K_INT,
  K_NBYTES,
  K_OTHER,
  K_STR,
  K_U16,
  K_U32,
  K_U64,
  K_U8,
  kindOf,
  zeroStruct,
} from './schema-define.ts'
import type { FieldType, Struct, StructSchema } from './schema-define.ts'

export { defineStruct, zeroStruct } from './schema-define.ts'
export type { FieldDef, FieldType, ScalarType, Struct, StructSchema } from './schema-define.ts'

function isZero(kind: number, type: FieldType, v: unknown): boolean {
  if (v === null || v === undefined) return true
  switch (kind) {
    case K_STR:
      return v === ''
    case K_BYTES:
    case K_NBYTES:
      return (v as Uint8Array).length === 0
    case K_BOOL:
      return v === false
    case K_U64:
    case K_I64:
      return typeof v === 'bigint' ? v === 0n : v === 0
    case K_OTHER:
      break
    default:
      return v === 0
  }
  if (typeof type === 'string') return false
  if ('array' in type) return (v as unknown[]).length === 0
  if ('map' in type) return (v as Map<string, unknown>).size === 0
  return false
}

export function encodeStruct(w: MsgpackWriter, schema: StructSchema, value: Struct): void {
  const { names, kinds, omit, fields, keyBytes, access } = schema
  const nf = names.length
  let n = nf
  if (schema.hasOmitempty) {
    for (let i = 0; i < nf; i++) if (omit[i] === 1 && isZero(kinds[i]!, fields[i]!.type, access.get(value, i))) n--
  }
  w.mapHeader(n)
  for (let i = 0; i < nf; i++) {
    const v = access.get(value, i)
    const kind = kinds[i]!
    if (omit[i] === 1 && isZero(kind, fields[i]!.type, v)) continue
    w.raw(keyBytes[i]!)
    try {
      encodeValue(w, kind, fields[i]!.type, v)
    } catch (err) {
      throw annotate(err, `${schema.name}.${names[i]!}`)
    }
  }
}

const U_MAX = [0, 0, 0, 0xff, 0xffff, 0xffffffff]

function encodeValue(w: MsgpackWriter, kind: number, type: FieldType, v: unknown): void {
  switch (kind) {
    case K_STR:
      if (typeof v !== 'string') throw wireError('ERR_WIRE_ENCODE', `expected a string, got ${typeof v}`)
      return w.string(v)
    case K_BYTES:
    case K_NBYTES:
      if (v === null || v === undefined) return w.nil()
      if (!(v instanceof Uint8Array)) throw wireError('ERR_WIRE_ENCODE', 'expected a Uint8Array')
      return w.bytes(v)
    case K_U8:
    case K_U16:
    case K_U32:
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > U_MAX[kind]!) {
        throw wireError('ERR_WIRE_ENCODE', `${String(v)} does not fit ${String(type)}`)
      }
      return w.uint(v)
    case K_U64:
      if (typeof v !== 'bigint' && typeof v !== 'number') throw wireError('ERR_WIRE_ENCODE', 'expected a bigint')
      return w.uint(v)
    case K_I64:
    case K_INT:
      if (typeof v !== 'bigint' && typeof v !== 'number') throw wireError('ERR_WIRE_ENCODE', 'expected an integer')
      return w.int(v)
    case K_BOOL:
      return w.bool(v === true)
    case K_F64:
      if (typeof v !== 'number') throw wireError('ERR_WIRE_ENCODE', 'expected a number')
      return w.float64(v)
  }
  if (typeof type === 'string') throw wireError('ERR_WIRE_ENCODE', `unknown field type ${type}`)
  if ('array' in type) {
    if (v === null || v === undefined) return type.nullable === true ? w.nil() : w.arrayHeader(0)
    const arr = v as readonly unknown[]
    const itemKind = kindOf(type.array)
    w.arrayHeader(arr.length)
    // A nil slot of a nullable struct array is one byte, written here: Serf's push/pull carries its
    // whole event buffer (512 slots, most of them nil) and a call per slot was most of its cost.
    const nilItems = isNullableStruct(type.array)
    const len = arr.length
    for (let i = 0; i < len; ) {
      if (nilItems && (arr[i] === null || arr[i] === undefined)) {
        let j = i + 1
        while (j < len && (arr[j] === null || arr[j] === undefined)) j++
        w.nils(j - i)
        i = j
      } else encodeValue(w, itemKind, type.array, arr[i++])
    }
    return
  }
  if ('map' in type) {
    const m = v instanceof Map ? (v as Map<string, unknown>) : new Map(Object.entries((v ?? {}) as object))
    const itemKind = kindOf(type.map)
    w.mapHeader(m.size)
    for (const [k, item] of m) {
      w.string(k)
      encodeValue(w, itemKind, type.map, item)
    }
    return
  }
  if (v === null || v === undefined) {
    if (type.nullable === true) return w.nil()
    return encodeStruct(w, type.struct, zeroStruct(type.struct))
  }
  encodeStruct(w, type.struct, v as Struct)
}

/** Index of the field whose name is the `len` key bytes at `start`, trying `hint` first; -1 if none. */
function matchKey(schema: StructSchema, buf: Uint8Array, start: number, len: number, hint: number): number {
  const all = schema.nameBytes
  const nf = all.length
  for (let j = 0; j < nf; j++) {
    const k = hint + j < nf ? hint + j : hint + j - nf
    const name = all[k]!
    if (name.length !== len) continue
    let b = 0
    while (b < len && buf[start + b] === name[b]) b++
    if (b === len) return k
  }
  return -1
}

/**
 * Decodes one struct (a msgpack map; nil gives the zero struct). `type`, when given, becomes the
 * first property (the discriminant of a message union). Keys are matched as bytes, trying the
 * field after the previous match first, since Go writes them in sorted order.
 */
export function decodeStruct(r: MsgpackReader, schema: StructSchema, depth = 0, type?: string): Struct {
  if (depth > r.maxDepth) throw wireError('ERR_WIRE_TOO_DEEP', `${schema.name}: nested deeper than ${r.maxDepth}`)
  const out = zeroStruct(schema, type)
  const n = r.mapHeader(schema.name)
  if (n === null) return out
  const { names, kinds, fields, access } = schema
  const nf = names.length
  let hint = 0
  for (let i = 0; i < n; i++) {
    const len = r.keyLength()
    const start = r.pos
    r.pos += len
    const idx = matchKey(schema, r.buf, start, len, hint)
    if (idx < 0) {
      r.skip(depth + 1)
      continue
    }
    hint = idx + 1 < nf ? idx + 1 : 0
    const name = names[idx]!
    try {
      access.set(out, idx, decodeValue(r, kinds[idx]!, fields[idx]!.type, name, depth + 1))
    } catch (err) {
      throw annotate(err, `${schema.name}.${name}`)
    }
  }
  return out
}

function decodeValue(r: MsgpackReader, kind: number, type: FieldType, field: string, depth: number): unknown {
  switch (kind) {
    case K_STR:
      return r.string(field)
    case K_BYTES:
      return r.bytes(field) ?? EMPTY
    case K_NBYTES:
      return r.bytes(field)
    case K_U8:
      return r.uint(8, field)
    case K_U16:
      return r.uint(16, field)
    case K_U32:
      return r.uint(32, field)
    case K_U64:
      return r.u64(field)
    case K_I64:
      return r.i64(field)
    case K_INT:
      return r.int(field)
    case K_BOOL:
      return r.bool(field)
    case K_F64:
      return r.float64(field)
  }
  if (typeof type === 'string') throw wireError('ERR_WIRE_MALFORMED', `${field}: unknown field type ${type}`)
  if (depth > r.maxDepth) throw wireError('ERR_WIRE_TOO_DEEP', `${field}: nested deeper than ${r.maxDepth}`)
  if ('array' in type) {
    const n = r.arrayHeader(field)
    if (n === null) return type.nullable === true ? null : []
    const itemKind = kindOf(type.array)
    const out: unknown[] = []
    // Nil slots of a nullable struct array read here (see encodeValue), within the depth bound as
    // decodeValue would check it; a truncated array still fails in decodeValue.
    const nilItems = isNullableStruct(type.array) && depth + 1 <= r.maxDepth
    const buf = r.buf
    for (let i = 0; i < n; i++) {
      if (nilItems && r.pos < r.end && buf[r.pos] === 0xc0) {
        r.pos++
        out.push(null)
      } else out.push(decodeValue(r, itemKind, type.array, field, depth + 1))
    }
    return out
  }
  if ('map' in type) {
    const n = r.mapHeader(field)
    const out = new Map<string, unknown>()
    if (n === null) return out
    const itemKind = kindOf(type.map)
    for (let i = 0; i < n; i++) {
      const k = r.key()
      out.set(k, decodeValue(r, itemKind, type.map, field, depth + 1))
    }
    return out
  }
  if (type.nullable === true && r.isNil()) {
    r.u8()
    return null
  }
  return decodeStruct(r, type.struct, depth + 1)
}

/** An element type whose nil is null (a nullable struct): encoded and decoded as one byte. */
function isNullableStruct(t: FieldType): boolean {
  return typeof t !== 'string' && 'struct' in t && t.nullable === true
}

/** Adds the field path to a coded error's message (once, innermost first). */
function annotate(err: unknown, path: string): unknown {
  if (err instanceof WireCodecError && err.details?.['field'] === undefined) {
    const message = err.message.startsWith(path) ? err.message : `${path}: ${err.message}`
    return new WireCodecError(err.code, message, { cause: err, details: { ...err.details, field: path } })
  }
  return err
}

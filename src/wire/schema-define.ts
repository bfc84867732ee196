/**
 * Struct schemas: each Go struct the protocol uses, described once by its exact Go field names and
 * types (schema.ts encodes and decodes them). Defining one precomputes what the hot paths need:
 * sorted fields, key bytes, numeric field kinds, zero values and per-schema field accessors.
 */
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
  /** Per field (wire order), precomputed for the hot paths: its name, kind code and omitempty flag. */
  readonly names: readonly string[]
  readonly kinds: Uint8Array
  readonly omit: Uint8Array
  /** Each field's zero value (null where it is mutable: see `fresh`). */
  readonly zeros: readonly unknown[]
  /** Fields whose zero value is mutable (slices, maps, structs): each copy gets its own. */
  readonly fresh: readonly number[]
  /** Field access by index, specialised per schema (see `accessors`). */
  readonly access: Accessors
}

/**
 * Per-schema functions generated from the (static, identifier-only) field names: reading and
 * writing `obj.Field` by field index and creating the zero object as a literal. Generic code doing
 * `obj[name]` across a dozen schemas hits V8's megamorphic property caches; these stay monomorphic,
 * which is most of the codec's speed on small messages.
 */
interface Accessors {
  get(o: Struct, i: number): unknown
  set(o: Struct, i: number, v: unknown): void
  /** A fresh object with every field at its zero (`zeros[i]`), `type` first when given. */
  create(zeros: readonly unknown[]): Struct
  createTyped(type: string, zeros: readonly unknown[]): Struct
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

function accessors(names: readonly string[]): Accessors {
  for (const n of names) if (!IDENTIFIER.test(n) || n === 'type') throw new Error(`not a plain field name: ${JSON.stringify(n)}`)
  const cases = (body: (n: string, i: number) => string): string => names.map((n, i) => `case ${i}: ${body(n, i)}`).join('\n')
  const fields = names.map((n, i) => `${n}: z[${i}]`).join(', ')
  const make = (args: string[], body: string): never => new Function(...args, body) as never
  return {
    get: make(['o', 'i'], `switch (i) {\n${cases((n) => `return o.${n}`)}\n}\nreturn undefined`),
    set: make(['o', 'i', 'v'], `switch (i) {\n${cases((n) => `o.${n} = v; return`)}\n}`),
    create: make(['z'], `return { ${fields} }`),
    createTyped: make(['t', 'z'], `return { type: t${names.length > 0 ? ', ' : ''}${fields} }`),
  }
}

export type Struct = Record<string, unknown>

export const EMPTY = new Uint8Array(0)

/** Kind codes: a number per FieldType, so the hot loops switch on small integers. */
export const K_STR = 0
export const K_BYTES = 1
export const K_NBYTES = 2
export const K_U8 = 3
export const K_U16 = 4
export const K_U32 = 5
export const K_U64 = 6
export const K_I64 = 7
export const K_INT = 8
export const K_BOOL = 9
export const K_F64 = 10
export const K_OTHER = 11

const SCALAR_KINDS: Record<ScalarType, number> = {
  str: K_STR,
  bytes: K_BYTES,
  nbytes: K_NBYTES,
  u8: K_U8,
  u16: K_U16,
  u32: K_U32,
  u64: K_U64,
  i64: K_I64,
  int: K_INT,
  bool: K_BOOL,
  f64: K_F64,
}

export function kindOf(type: FieldType): number {
  return typeof type === 'string' ? SCALAR_KINDS[type] : K_OTHER
}

export function defineStruct(name: string, fields: FieldDef[]): StructSchema {
  const sorted = [...fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const nameBytes = sorted.map((f) => new TextEncoder().encode(f.name))
  const keyBytes = nameBytes.map((b) => {
    if (b.length >= 32) throw new Error(`field name too long for this codec: ${name}`)
    return Uint8Array.of(0xa0 | b.length, ...b)
  })
  const hasOmitempty = sorted.some((f) => f.omitempty === true)
  const fresh: number[] = []
  const zeros: unknown[] = []
  sorted.forEach((f, i) => {
    const mutable = typeof f.type !== 'string' && zeroOf(f.type) !== null
    if (mutable) fresh.push(i)
    zeros.push(mutable ? null : zeroOf(f.type))
  })
  return {
    name,
    fields: sorted,
    byName: new Map(sorted.map((f) => [f.name, f])),
    nameBytes,
    keyBytes,
    hasOmitempty,
    names: sorted.map((f) => f.name),
    kinds: Uint8Array.from(sorted, (f) => kindOf(f.type)),
    omit: Uint8Array.from(sorted, (f) => (f.omitempty === true ? 1 : 0)),
    zeros,
    fresh,
    access: accessors(sorted.map((f) => f.name)),
  }
}

export function zeroOf(type: FieldType): unknown {
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

/** A struct of zero values; `type`, when given, becomes its first property. */
export function zeroStruct(schema: StructSchema, type?: string): Struct {
  const out = type === undefined ? schema.access.create(schema.zeros) : schema.access.createTyped(type, schema.zeros)
  for (const i of schema.fresh) schema.access.set(out, i, zeroOf(schema.fields[i]!.type))
  return out
}


/**
 * A generic msgpack reader for the client side of the RPC: any object the agent sends becomes a
 * plain value (maps -> objects with string keys, str -> string, bin -> Uint8Array, integers ->
 * number or bigint past 2^53, floats -> number, nil -> null). The client checks shapes after this.
 */
import { MsgpackReader } from '../wire/msgpack/reader.ts'
import { RpcError } from './errors.ts'
import { RpcWriter } from './msgpack-out.ts'

export type RpcValue = null | boolean | number | bigint | string | Uint8Array | RpcValue[] | { [key: string]: RpcValue }

export function decodeValue(frame: Uint8Array): RpcValue {
  const r = new MsgpackReader(frame)
  try {
    return readValue(r, 0)
  } catch (err) {
    throw new RpcError('ERR_RPC_DECODE', `undecodable msgpack from the agent: ${(err as Error).message}`, { cause: err })
  }
}

function readValue(r: MsgpackReader, depth: number): RpcValue {
  if (depth > r.maxDepth) throw new RpcError('ERR_RPC_DECODE', `msgpack nesting deeper than ${r.maxDepth}`)
  const b = r.peek()
  if (b <= 0x7f || b >= 0xe0) return r.integer()
  if ((b & 0xf0) === 0x80 || b === 0xde || b === 0xdf) {
    const n = r.mapHeader()!
    const out: { [key: string]: RpcValue } = {}
    for (let i = 0; i < n; i++) {
      const k = readValue(r, depth + 1)
      const key = k instanceof Uint8Array ? new TextDecoder().decode(k) : String(k)
      out[key] = readValue(r, depth + 1)
    }
    return out
  }
  if ((b & 0xf0) === 0x90 || b === 0xdc || b === 0xdd) {
    const n = r.arrayHeader()!
    const out: RpcValue[] = []
    for (let i = 0; i < n; i++) out.push(readValue(r, depth + 1))
    return out
  }
  if ((b & 0xe0) === 0xa0 || b === 0xd9 || b === 0xda || b === 0xdb) return r.string()
  switch (b) {
    case 0xc0:
      r.u8()
      return null
    case 0xc2:
    case 0xc3:
      return r.bool()
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return r.bytes()
    case 0xca:
    case 0xcb:
      return r.float64()
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
      return r.integer()
    default:
      // ext types: Serf never sends them; skip the value.
      r.skip(depth)
      return null
  }
}

/** Field accessors that tolerate the agent's zero values (a missing key, nil). */
export function asRecord(v: RpcValue | undefined): { [key: string]: RpcValue } {
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v) ? v : {}
}
export function asString(v: RpcValue | undefined): string {
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array) return new TextDecoder().decode(v)
  return ''
}
export function asNumber(v: RpcValue | undefined): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0
}
export function asBigint(v: RpcValue | undefined): bigint {
  return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(Math.trunc(v)) : 0n
}
export function asBytes(v: RpcValue | undefined): Uint8Array | null {
  if (v instanceof Uint8Array) return v
  if (typeof v === 'string') return new TextEncoder().encode(v)
  return null
}
export function asStringMap(v: RpcValue | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(asRecord(v))) out[k] = asString(x)
  return out
}
export function asArray(v: RpcValue | undefined): RpcValue[] {
  return Array.isArray(v) ? v : []
}

/** A number that must go out as float64 even when it is integral (coordinates). */
export class F64 {
  constructor(readonly value: number) {}
}

/** What `encodeValue` writes: strings as str, bytes as bin, null as nil, F64 as float64. */
export type OutValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | F64
  | readonly OutValue[]
  | { readonly [key: string]: OutValue }

/** Writes one value with the agent's conventions; object keys in their insertion order. */
export function writeValue(w: RpcWriter, v: OutValue): void {
  if (v === null) w.nil()
  else if (typeof v === 'boolean') w.bool(v)
  else if (typeof v === 'string') w.str(v)
  else if (typeof v === 'bigint') {
    if (v < 0n) w.int(v)
    else w.uint(v)
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) w.float64(v)
    else if (v < 0) w.int(v)
    else w.uint(v)
  } else if (v instanceof Uint8Array) w.bin(v)
  else if (v instanceof F64) w.float64(v.value)
  else if (Array.isArray(v)) {
    w.arrayHeader(v.length)
    for (const x of v as readonly OutValue[]) writeValue(w, x)
  } else {
    const entries = Object.entries(v as { readonly [key: string]: OutValue })
    w.mapHeader(entries.length)
    for (const [k, x] of entries) {
      w.str(k)
      writeValue(w, x)
    }
  }
}

/** One or more objects laid end to end (a header and its body), as one write. */
export function encodeObjects(...values: OutValue[]): Uint8Array {
  const w = new RpcWriter(128)
  for (const v of values) writeValue(w, v)
  return w.finish()
}

/**
 * The compound message (spec §1.3): `[7][N:u8][N × u16 BE length][parts]`, and packing messages
 * into one within a byte budget. A zero-length part would crash a Go 0.2.2 receiver (it indexes
 * byte 0), so the encoder refuses one.
 */
import { wireError } from './errors.ts'
import { MessageType } from './memberlist.ts'
import { packetBytes } from './byte-pool.ts'

/** Bytes of a compound header (type + count), and per part (its length). */
export const COMPOUND_HEADER_OVERHEAD = 2
export const COMPOUND_PART_OVERHEAD = 2
export const MAX_COMPOUND_PARTS = 255
const MAX_PART = 0xffff

export function makeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > MAX_COMPOUND_PARTS) throw wireError('ERR_WIRE_ENCODE', `a compound holds at most 255 parts, got ${parts.length}`)
  let size = COMPOUND_HEADER_OVERHEAD
  for (const p of parts) {
    if (p.length === 0) throw wireError('ERR_WIRE_ENCODE', 'a compound part is empty (Go would crash on it)')
    if (p.length > MAX_PART) throw wireError('ERR_WIRE_ENCODE', `a compound part is at most 65535 bytes, got ${p.length}`)
    size += COMPOUND_PART_OVERHEAD + p.length
  }
  const out = packetBytes(size)
  out[0] = MessageType.compound
  out[1] = parts.length
  let pos = 2
  for (const p of parts) {
    out[pos++] = p.length >>> 8
    out[pos++] = p.length & 0xff
  }
  for (const p of parts) {
    out.set(p, pos)
    pos += p.length
  }
  return out
}

export interface SplitCompound {
  parts: Uint8Array[]
  /** Parts declared in the header but missing from the buffer (Go counts them, not an error). */
  truncated: number
}

/** Splits a compound body (the bytes after the type byte). Parts are views into `body`. */
export function splitCompound(body: Uint8Array): SplitCompound {
  if (body.length < 1) throw wireError('ERR_WIRE_TRUNCATED', 'compound without a part count')
  const n = body[0]!
  if (body.length < 1 + 2 * n) throw wireError('ERR_WIRE_TRUNCATED', `compound of ${n} parts has a truncated length table`)
  const parts: Uint8Array[] = []
  let pos = 1 + 2 * n
  for (let i = 0; i < n; i++) {
    const len = (body[1 + 2 * i]! << 8) | body[2 + 2 * i]!
    if (body.length - pos < len) return { parts, truncated: n - i }
    parts.push(body.subarray(pos, pos + len))
    pos += len
  }
  return { parts, truncated: 0 }
}

export interface PackResult {
  /** A bare message when one fits, a compound when several do, null when none does. */
  packet: Uint8Array | null
  /** Indices of the messages that were packed, in order. */
  included: number[]
}

/**
 * Packs encoded messages, in the order given, into at most `budgetBytes` (counting compound
 * overheads); a message that does not fit is skipped and later, smaller ones are still tried.
 */
export function packCompound(messages: readonly Uint8Array[], budgetBytes: number): PackResult {
  const included: number[] = []
  let used = COMPOUND_HEADER_OVERHEAD
  for (let i = 0; i < messages.length; i++) {
    if (messages[i]!.length === 0) throw wireError('ERR_WIRE_ENCODE', `message ${i} is empty`)
  }
  for (let i = 0; i < messages.length && included.length < MAX_COMPOUND_PARTS; i++) {
    const m = messages[i]!
    const cost = COMPOUND_PART_OVERHEAD + m.length
    if (m.length > MAX_PART || used + cost > budgetBytes) continue
    used += cost
    included.push(i)
  }
  // A lone message goes bare, without compound overhead, so one that fits only bare still goes.
  if (included.length === 0) {
    const i = messages.findIndex((m) => m.length <= budgetBytes)
    if (i >= 0) included.push(i)
  }
  if (included.length === 0) return { packet: null, included }
  if (included.length === 1) return { packet: messages[included[0]!]!, included }
  return { packet: makeCompound(included.map((i) => messages[i]!)), included }
}

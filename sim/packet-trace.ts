/**
 * Packet contents in a simulation trace: a 32-bit FNV-1a digest of each datagram's bytes, so a
 * same-seed comparison checks what was sent, not only how long it was. Pure; no node:crypto (the
 * digest only has to tell two runs apart, not resist anyone).
 */
import type { InboundPacket } from '../src/transport/transport.ts'

export function digestBytes(bytes: Uint8Array): string {
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0
  return h.toString(16).padStart(8, '0')
}

/** One trace line for a datagram received at `to`. */
export function packetTraceLine(atMs: number, to: string, p: InboundPacket): string {
  return `${atMs.toFixed(3)} in ${p.from}>${to} ${p.bytes.length} ${digestBytes(p.bytes)}`
}

/**
 * memberlist's send path for one packet request (spec §1.2, §4.10): fill the rest of the UDP budget
 * with queued broadcasts (compound overhead 2 bytes per part, 2 for the header), then bare message or
 * compound, compress when smaller, CRC when the peer supports it, encrypt when a keyring is set
 * (the budget then shrinks by the 29 bytes of the sealing, spec §4.7).
 * The fill is a callback so the queue may live in this thread (simulator) or in the gossip-queue actor.
 */
import { assemblePacket, encryptionOverhead } from './packets.ts'
import type { WireSecurity } from './packets.ts'
import type { PacketRequest } from './ports.ts'

export const COMPOUND_HEADER_OVERHEAD = 2
export const COMPOUND_PART_OVERHEAD = 2

export type FillFn = (overheadBytes: number, limitBytes: number, cb: (parts: Uint8Array[]) => void) => void

export interface SendPipelineOptions {
  udpBufferSize: number
  compress: boolean
  fill: FillFn
  /** Encryption (default plaintext). */
  security?: WireSecurity
  /** Hands the finished datagram to the transport. */
  emit: (to: string, bytes: Uint8Array) => void
}

export function sendPacketRequest(req: PacketRequest, o: SendPipelineOptions): void {
  const finish = (parts: Uint8Array[]) => {
    if (parts.length === 0) return
    o.emit(req.to, assemblePacket(parts, { compress: o.compress, crc: req.crc, ...(o.security === undefined ? {} : { security: o.security }) }))
  }
  if (!req.piggyback) return finish(req.messages)
  let used = COMPOUND_HEADER_OVERHEAD + (o.security === undefined ? 0 : encryptionOverhead(o.security))
  for (const m of req.messages) used += m.length
  o.fill(COMPOUND_PART_OVERHEAD, o.udpBufferSize - used, (extra) => finish(extra.length === 0 ? req.messages : [...req.messages, ...extra]))
}

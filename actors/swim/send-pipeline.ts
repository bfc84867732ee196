/**
 * memberlist's send path for one packet request (spec §1.2, §4.10): fill the rest of the UDP budget
 * with queued broadcasts (compound overhead 2 bytes per part, 2 for the header), then bare message or
 * compound, compress when smaller, CRC when the peer supports it, encrypt when a keyring is set
 * (the budget then shrinks by the 29 bytes of the sealing, spec §4.7).
 * The fill is synchronous: the broadcasts come from swim's piggyback lease (piggyback.ts) or, in the
 * simulator, from a queue in the same thread, so a packet is encoded and sent in the turn that asked
 * for it and never waits on another thread.
 * It returns what became of the request (the core counts it): nothing is refused or thrown away uncounted.
 */
import { assemblePacket, encryptionOverhead } from './packets.ts'
import type { WireSecurity } from './packets.ts'
import type { PacketRequest, PacketResult } from './ports.ts'
import type { PacketSent } from './effects.ts'

export const COMPOUND_HEADER_OVERHEAD = 2
export const COMPOUND_PART_OVERHEAD = 2

/** Broadcasts for one packet: at most `limitBytes`, each part charged `overheadBytes + length`. Synchronous. */
export type FillFn = (overheadBytes: number, limitBytes: number) => Uint8Array[]

export interface SendPipelineOptions {
  udpBufferSize: number
  compress: boolean
  fill: FillFn
  /** Encryption (default plaintext). */
  security?: WireSecurity
  /**
   * Hands the finished datagram to the transport and returns what the transport said (its
   * SendOutcome: 'sent' | 'too-large' | 'closed'); anything else is reported as 'unconfirmed'.
   */
  emit: (to: string, bytes: Uint8Array) => unknown
}

/** The transport's answer as a PacketResult (an answer we do not know is 'unconfirmed'). */
export function resultOfSend(outcome: unknown): PacketResult {
  return outcome === 'sent' || outcome === 'too-large' || outcome === 'closed' ? outcome : 'unconfirmed'
}

export function sendPacketRequest(req: PacketRequest, o: SendPipelineOptions): PacketSent {
  const finish = (parts: Uint8Array[], piggybacked: number): PacketSent => {
    if (parts.length === 0) return { result: 'empty', piggybacked: 0 }
    try {
      return { result: resultOfSend(o.emit(req.to, assemblePacket(parts, { compress: o.compress, crc: req.crc, ...(o.security === undefined ? {} : { security: o.security }) }))), piggybacked }
    } catch (err) {
      // A bad address (ERR_TRANSPORT_ADDRESS), an encoder or a socket error: the packet is lost,
      // and swim must keep running; the caller counts it by its code.
      return { result: 'failed', piggybacked, errorCode: errorCode(err) }
    }
  }
  if (!req.piggyback) return finish(req.messages, 0)
  let used = COMPOUND_HEADER_OVERHEAD + (o.security === undefined ? 0 : encryptionOverhead(o.security))
  for (const m of req.messages) used += m.length
  const extra = o.fill(COMPOUND_PART_OVERHEAD, o.udpBufferSize - used)
  return finish(extra.length === 0 ? req.messages : [...req.messages, ...extra], extra.length)
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'ERR_UNKNOWN'
}

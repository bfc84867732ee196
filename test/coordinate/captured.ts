/**
 * Coordinates that real Serf 0.9.4 agents put in their acks, from the golden captures
 * (test/fixtures/serf): every ack payload of the unencrypted scenarios, keyed by vector id
 * (`plain-08`: the ack in vector plain-08, i.e. its sender's coordinate at that moment).
 */
import { decodePacket, flattenPacket } from '../../src/wire/index.ts'
import { fromHexText, loadFixtures } from '../interop/golden-fixtures.ts'

export interface CapturedAck {
  id: string
  from: string | null
  to: string
  payload: Uint8Array
}

export function capturedAcks(): CapturedAck[] {
  const out: CapturedAck[] = []
  for (const fx of loadFixtures()) {
    if (fx.key !== null) continue
    for (const v of fx.vectors) {
      if (v.transport !== 'udp') continue
      for (const m of flattenPacket(decodePacket(fromHexText(v.hex))).messages) {
        if (m.type === 'ack' && m.Payload !== null && m.Payload.length > 0) out.push({ id: v.id, from: v.from, to: v.to, payload: m.Payload })
      }
    }
  }
  return out
}

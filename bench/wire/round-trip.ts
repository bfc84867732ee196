/**
 * The data and the measured work of the wire benchmark (shared by wire.bench.ts and profile.ts):
 * 8 gossip messages as a sender holds them, the same data as plain JSON, and one wire round trip.
 */
import {
  buildPacket,
  decodePacket,
  decodeSerfMessage,
  encodeMessage,
  encodeSerfMessage,
  encodeTags,
  flattenPacket,
  parseIp,
} from '../../src/wire/index.ts'
import type { GossipMessage, Keyring, SerfMessage } from '../../src/wire/index.ts'

const VSN = Uint8Array.of(1, 5, 2, 2, 5, 5)

/** One gossip message as the sender holds it: a memberlist message, or a Serf message to carry in a user message. */
type Outgoing = { kind: 'memberlist'; msg: GossipMessage } | { kind: 'serf'; msg: SerfMessage }
const ml = (msg: GossipMessage): Outgoing => ({ kind: 'memberlist', msg })
const serf = (msg: SerfMessage): Outgoing => ({ kind: 'serf', msg })

/** The 8 gossip messages one packet carries. */
export const MESSAGES: Outgoing[] = [
  ml({ type: 'alive', Incarnation: 3, Node: 'node-01', Addr: parseIp('10.0.0.1'), Port: 7946, Meta: encodeTags({ role: 'web', dc: 'eu1' }), Vsn: VSN }),
  ml({ type: 'alive', Incarnation: 9, Node: 'node-02', Addr: parseIp('10.0.0.2'), Port: 7946, Meta: encodeTags({ role: 'db' }), Vsn: VSN }),
  ml({ type: 'alive', Incarnation: 1, Node: 'node-03', Addr: parseIp('10.0.0.3'), Port: 7946, Meta: encodeTags({}), Vsn: VSN }),
  ml({ type: 'suspect', Incarnation: 4, Node: 'node-04', From: 'node-01' }),
  ml({ type: 'dead', Incarnation: 2, Node: 'node-05', From: 'node-05' }),
  serf({ type: 'join', LTime: 17n, Node: 'node-03' }),
  serf({ type: 'leave', LTime: 18n, Node: 'node-05', Prune: false }),
  serf({ type: 'userEvent', LTime: 5n, Name: 'deploy', Payload: new TextEncoder().encode('v1.2.3'), CC: true }),
]

/** The same data in its natural JSON form (bytes as number arrays, clocks as numbers). */
export const JSON_DATA = MESSAGES.map((m) =>
  JSON.parse(
    JSON.stringify(m.kind === 'serf' ? { type: 'user', serf: m.msg } : m.msg, (_k, v: unknown) =>
      v instanceof Uint8Array ? Array.from(v) : typeof v === 'bigint' ? Number(v) : v,
    ),
  ) as unknown,
)

/** Encodes every message as the sender does on each send: Serf messages too, inside the measured work. */
export function encodeAll(): Uint8Array[] {
  return MESSAGES.map((m) => (m.kind === 'serf' ? encodeMessage({ type: 'user', Payload: encodeSerfMessage(m.msg) }) : encodeMessage(m.msg)))
}

let sink = 0

/** Keeps results alive so the work is not optimised away. */
export function sinkValue(): number {
  return sink
}

/** Encode all 8 messages, build the packet, decode it, and decode each Serf payload. */
export function wireRoundTrip(options: { crc?: boolean; compress?: boolean; keyring?: Keyring }): void {
  const packet = buildPacket(encodeAll(), {
    crc: options.crc === true,
    compress: options.compress === true,
    keyring: options.keyring ?? null,
  })
  const flat = flattenPacket(decodePacket(packet, { keyring: options.keyring ?? null }))
  for (const m of flat.messages) if (m.type === 'user') sink += decodeSerfMessage(m.Payload).type.length
  sink += flat.messages.length
}

/** Throws unless the wire side decodes back to exactly the data the JSON side carries. */
export function checkSameData(): void {
  const wirePacket = buildPacket(encodeAll())
  const jsonText = JSON.stringify(JSON_DATA)
  // Sanity: both sides carry the same 8 messages (the wire side decodes back to the data the JSON side holds).
  const decoded = flattenPacket(decodePacket(wirePacket)).messages.map((m) =>
    JSON.parse(
      JSON.stringify(m.type === 'user' ? { type: 'user', serf: decodeSerfMessage(m.Payload) } : m, (_k, v: unknown) =>
        v instanceof Uint8Array ? Array.from(v) : typeof v === 'bigint' ? Number(v) : v,
      ),
    ) as unknown,
  )
  if (decoded.length !== 8 || (JSON.parse(jsonText) as unknown[]).length !== 8) throw new Error('bench data is not 8 messages')
  for (let i = 0; i < 8; i++) {
    const sorted = (o: unknown): string => JSON.stringify(o, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v))
    if (sorted(decoded[i]) !== sorted(JSON_DATA[i])) throw new Error(`bench message ${i} differs between wire and JSON: ${sorted(decoded[i])} vs ${sorted(JSON_DATA[i])}`)
  }
}

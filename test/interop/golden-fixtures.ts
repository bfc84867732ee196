/**
 * Loading of the golden vectors in test/fixtures/serf (made by scripts/capture-serf-vectors.ts) and
 * the shallow "signature" of a decoded packet, in the same notation the capture script used, so the
 * codec's decoding can be compared with the capture's independent classification.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeSerfMessage } from '../../src/wire/index.ts'
import type { PacketNode, SerfMessage, StreamNode } from '../../src/wire/index.ts'

/** The committed vectors; `SERF_FIXTURE_DIR` points the tests at a fresh capture to check it before committing. */
export const FIXTURE_DIR = process.env['SERF_FIXTURE_DIR'] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/serf')

export interface FixtureAgent {
  /** Identity in from/to; equals `name` except for a second agent reusing a name (conflict scenario). */
  id: string
  name: string
  /** The address peers saw (the relay), `ip:port`. */
  advertise: string
  bind: string
  tags: Record<string, string>
  queryHandler: string | null
}

export interface FixtureVector {
  id: string
  t: number
  transport: 'udp' | 'tcp'
  from: string | null
  to: string
  conn?: number
  role?: 'request' | 'reply'
  signature: string
  hex: string
}

export interface Fixture {
  scenario: string
  description: string
  key: string | null
  compression: boolean
  agents: FixtureAgent[]
  actions: Array<Record<string, unknown> & { action: string }>
  vectors: FixtureVector[]
}

export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as Fixture)
}

export function fromHexText(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** The capture script's notation for a Serf message: `user:<type>[+filters][+ack]`. */
function serfSig(payload: Uint8Array): string {
  const msg: SerfMessage = decodeSerfMessage(payload)
  let sig = `user:${msg.type}`
  if (msg.type === 'query' && msg.Filters !== null) sig += '+filters'
  if (msg.type === 'queryResponse' && msg.Flags === 1) sig += '+ack'
  if (msg.type === 'relay') {
    const inner = decodeSerfMessage(msg.Message)
    if (inner.type === 'queryResponse' && inner.Flags === 1) sig += '+ack'
  }
  return sig
}

/** Signature of a decoded UDP packet tree, e.g. `crc(compress(compound[alive,user:join]))`. */
export function packetSignature(node: PacketNode): string {
  switch (node.type) {
    case 'encrypt':
      return `enc(${packetSignature(node.inner)})`
    case 'hasCrc':
      return `crc(${packetSignature(node.inner)})`
    case 'compress':
      return `compress(${packetSignature(node.inner)})`
    case 'compound':
      return `compound[${node.parts.map(packetSignature).join(',')}]`
    case 'user':
      return serfSig(node.Payload)
    case 'invalid':
      return `invalid(${node.code})`
    default:
      return node.type
  }
}

/** Signature of a decoded stream tree (`enc(compress(pushPull))`). */
export function streamSignature(node: StreamNode): string {
  switch (node.type) {
    case 'encrypt':
      return `enc(${streamSignature(node.inner)})`
    case 'compress':
      return `compress(${streamSignature(node.inner)})`
    default:
      return node.type
  }
}

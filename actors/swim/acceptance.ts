/**
 * What swim accepts from a peer (issue 10: one datagram must never take a node out). Every alive,
 * suspect and dead that reaches the node table, from a datagram or as a push/pull entry, is
 * screened here first, by one rule per message: swim must be able to store it, re-encode it to the
 * bytes it came as, and gossip it on in one packet. What fails is refused and counted
 * (SwimCounters.messagesRefused, lastRefusal); nothing here throws.
 *
 * The rule is built from what the encoder requires, not beside it: the shape checks are the wire
 * encoder's own (`encodeRefusal`, which encodeMessage runs before it writes), and the size is that
 * of the actual encoding. The rest is what swim itself needs:
 * - names (Node, From; our own, see config.ts): 1 to MAX_NAME_BYTES bytes of UTF-8. Go strings
 *   are bytes, ours are decoded text: bytes that are not UTF-8 decode to U+FFFD and would re-encode
 *   as other bytes (and distinct Go names would collapse into one), so a name holding U+FFFD is
 *   refused, as is an unpaired surrogate (it cannot be encoded). Control characters are refused:
 *   Serf's snapshot is line-based (`alive: <name> <addr>`) and a name is printed in logs.
 * - Vsn: exactly 6 bytes (what we re-send; Go panics on 1-5, and a longer or empty one cannot be
 *   re-sent as it came) with PMin, PMax non-zero and PMin <= PMax (memberlist's aliveNode check).
 * - Meta: at most memberlist's MetaMaxSize (512 bytes).
 * - Incarnation: a u32; Port: a u16 (0 means "the receiver's bind port", spec §1.7).
 */
import { encodeMessage, encodeRefusal } from '../../src/wire/memberlist.ts'
import type { MemberlistMessage } from '../../src/wire/memberlist.ts'
import { COMPOUND_HEADER_OVERHEAD, COMPOUND_PART_OVERHEAD } from '../../src/wire/compound.ts'
import type { AliveMsg, DeadMsg, SuspectMsg } from './messages.ts'
import { aliveToWire, deadToWire, encryptionOverhead, suspectToWire } from './packets.ts'
import type { WireSecurity } from './packets.ts'

/** Longest node name in bytes of UTF-8 (ours or a peer's). memberlist 0.2.2 sets none; Serf's optional check allows 128 characters. */
export const MAX_NAME_BYTES = 512
/** memberlist MetaMaxSize: the most node Meta (Serf's encoded tags) a node may carry, in bytes. */
export const META_MAX_SIZE = 512
/** Incarnations are Go uint32s. */
export const MAX_INCARNATION = 0xffff_ffff

/** Why `name` cannot be a node name (a rule to put after the field's name), or undefined. */
export function nameRule(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string'
  let bytes = 0
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f) return `must not hold control characters (U+${hex4(c)} at ${i})`
      bytes += 1
    } else if (c < 0x800) {
      bytes += 2
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = name.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return `must be valid Unicode (an unpaired surrogate at ${i})`
      bytes += 4
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return `must be valid Unicode (an unpaired surrogate at ${i})`
    } else if (c === 0xfffd) {
      return `must be valid UTF-8 without U+FFFD (bytes that are not UTF-8 decode to it, at ${i})`
    } else {
      bytes += 3
    }
  }
  if (bytes > MAX_NAME_BYTES) return `must be at most ${MAX_NAME_BYTES} bytes of UTF-8 (got ${bytes})`
  return undefined
}

/** memberlist's Vsn check on alive (spec §1.9), for the 6-byte vector we keep and re-send. */
export function vsnRule(vsn: Uint8Array): string | undefined {
  if (vsn.length !== 6) return `must be 6 bytes (got ${vsn.length})`
  const pmin = vsn[0]!
  const pmax = vsn[1]!
  if (pmin === 0 || pmax === 0 || pmin > pmax) return `must have 0 < PMin <= PMax (got ${pmin}, ${pmax})`
  return undefined
}

/** The largest message one packet can carry as a broadcast (as gossipQueueConfigFor sizes the queue). */
export function maxBroadcastBytes(udpBufferSize: number, security: WireSecurity): number {
  return udpBufferSize - COMPOUND_HEADER_OVERHEAD - COMPOUND_PART_OVERHEAD - encryptionOverhead(security)
}

/** Why swim refuses this alive (message or push/pull entry), or undefined to accept it. */
export function aliveRefusal(a: AliveMsg, maxBytes: number): string | undefined {
  return (
    field('alive.Node', nameRule(a.node)) ??
    field('alive.Incarnation', uintRule(a.incarnation, MAX_INCARNATION)) ??
    field('alive.Port', uintRule(a.port, 0xffff)) ??
    (a.meta.length > META_MAX_SIZE ? `alive.Meta must be at most ${META_MAX_SIZE} bytes (memberlist MetaMaxSize; got ${a.meta.length})` : undefined) ??
    field('alive.Vsn', vsnRule(a.vsn)) ??
    encodable(aliveToWire(a), maxBytes)
  )
}

/** Why swim refuses this suspect, or undefined to accept it. */
export function suspectRefusal(s: SuspectMsg, maxBytes: number): string | undefined {
  return field('suspect.Node', nameRule(s.node)) ?? field('suspect.From', nameRule(s.from)) ?? field('suspect.Incarnation', uintRule(s.incarnation, MAX_INCARNATION)) ?? encodable(suspectToWire(s), maxBytes)
}

/** Why swim refuses this dead, or undefined to accept it. */
export function deadRefusal(d: DeadMsg, maxBytes: number): string | undefined {
  return field('dead.Node', nameRule(d.node)) ?? field('dead.From', nameRule(d.from)) ?? field('dead.Incarnation', uintRule(d.incarnation, MAX_INCARNATION)) ?? encodable(deadToWire(d), maxBytes)
}

/**
 * The encoder's verdict: its shape check, then the size of the real encoding against one packet.
 * The encoding cannot throw once the shape check and the rules above passed (the property test
 * test/actors/swim/acceptance.property.test.ts holds the rule to that).
 */
function encodable(msg: MemberlistMessage, maxBytes: number): string | undefined {
  const bad = encodeRefusal(msg)
  if (bad !== undefined) return bad.message
  const n = encodeMessage(msg).length
  return n > maxBytes ? `${msg.type} encodes to ${n} bytes, more than the ${maxBytes} a packet carries as a broadcast` : undefined
}

function field(name: string, rule: string | undefined): string | undefined {
  return rule === undefined ? undefined : `${name} ${rule}`
}

function uintRule(v: number, max: number): string | undefined {
  return Number.isInteger(v) && v >= 0 && v <= max ? undefined : `must be an integer in [0, ${max}] (got ${String(v)})`
}

function hex4(c: number): string {
  return c.toString(16).toUpperCase().padStart(4, '0')
}

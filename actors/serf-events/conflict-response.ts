/**
 * `_serf_conflict`, the answering side and the decoding of answers (spec §5.10, §5.11; Serf
 * handleConflict, resolveNodeConflict's decode).
 *
 * A node that sees an alive for its own name from another address asks every member, with a
 * `_serf_conflict` query whose payload is the name, where it believes that node lives. Each member
 * answers `[6][msgpack Member]` from its own member table, or `[6][c0]` when it does not know the
 * name, and does not answer at all when the name is its own (that node is one of the claimants; the
 * originator handles its own query locally and so never votes for itself, and the other claimant
 * stays silent too). Checked against a live agent, and the agent's vote over a spoofed alive for
 * its own name in a three-node cluster logs `[2 / 2]`: only the two third parties answered.
 *
 * The Member body is byte-exact with Serf 0.9.4: go-msgpack writes the struct's fields in sorted
 * order (Addr, DelegateCur, DelegateMax, DelegateMin, Name, Port, ProtocolCur, ProtocolMax,
 * ProtocolMin, Status, Tags), Status as an int (none 0, alive 1, leaving 2, left 3, failed 4), Addr
 * as raw bytes (4 or 16). Tags is a Go map, written in Go's random order; we write the tags sorted
 * by key so our answers are deterministic (byte-exact whenever a member has at most one tag).
 *
 * The payload is Go's `string(q.Payload)`, raw bytes: we decode it as strict UTF-8, and a name that
 * is not valid UTF-8 cannot be in our table (names are text), so it is answered as unknown.
 */
import { decodeSerfMessage, encodeSerfMessage, MemberStatus as WireStatus } from '../../src/wire/serf.ts'
import type { SerfMember } from '../../src/wire/serf.ts'
import type { Member } from '../member-manager/protocol.ts'
import { sameIp } from './internal-query.ts'

export { CONFLICT_QUERY } from './internal-query.ts'

/** What the answering node knows: its own name, and its member table (any status). */
export interface ConflictView {
  localName: string
  lookup(name: string): Member | undefined
}

export type ConflictAnswer =
  /** Send `payload` as the query response. */
  | { kind: 'respond'; payload: Uint8Array; known: boolean }
  /** The name is ours: Serf does not answer (we are a claimant, not a witness). */
  | { kind: 'none'; reason: 'own-name' }

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Serf handleConflict: our answer to a `_serf_conflict` query carrying `payload` (never throws). */
export function answerConflictQuery(payload: Uint8Array | null, view: ConflictView): ConflictAnswer {
  let name: string | null
  try {
    name = strictUtf8.decode(payload ?? new Uint8Array(0))
  } catch {
    name = null
  }
  if (name === view.localName) return { kind: 'none', reason: 'own-name' }
  const member = name === null ? undefined : view.lookup(name)
  return { kind: 'respond', payload: encodeConflictResponse(member ?? null), known: member !== undefined }
}

/** `[6][msgpack Member]`, or `[6][c0]` for an unknown name. */
export function encodeConflictResponse(member: Member | null): Uint8Array {
  return encodeSerfMessage({ type: 'conflictResponse', Member: member === null ? null : toSerfMember(member) })
}

/** Our member record as Serf's `serf.Member` (the wire struct). */
export function toSerfMember(m: Member): SerfMember {
  const keys = Object.keys(m.tags).sort()
  return {
    Name: m.name,
    Addr: m.addr,
    Port: m.port,
    Tags: new Map(keys.map((k) => [k, m.tags[k]!])),
    Status: WireStatus[m.status],
    ProtocolMin: m.protocolMin,
    ProtocolMax: m.protocolMax,
    ProtocolCur: m.protocolCur,
    DelegateMin: m.delegateMin,
    DelegateMax: m.delegateMax,
    DelegateCur: m.delegateCur,
  }
}

export type DecodedConflictResponse =
  /** `member` is null for `[6][c0]` (Serf decodes it as a zero Member: a response that never matches). */
  | { ok: true; member: SerfMember | null }
  | { ok: false; reason: 'wrong-type' | 'undecodable'; detail: string }

/** resolveNodeConflict's decode of one response payload; never throws. */
export function decodeConflictResponse(payload: Uint8Array | null): DecodedConflictResponse {
  if (payload === null || payload.length < 1 || payload[0] !== 6) {
    const first = payload === null || payload.length === 0 ? 'empty' : `type byte ${payload[0]}`
    return { ok: false, reason: 'wrong-type', detail: `Invalid conflict query response type (${first})` }
  }
  try {
    const msg = decodeSerfMessage(payload)
    if (msg.type !== 'conflictResponse') return { ok: false, reason: 'wrong-type', detail: 'Invalid conflict query response type' }
    return { ok: true, member: msg.Member }
  } catch (err) {
    return { ok: false, reason: 'undecodable', detail: `Failed to decode conflict query response: ${err instanceof Error ? err.message : String(err)}` }
  }
}

/** Go net.IP.Equal plus the port: does `member` place the name at `addr:port`? */
export function memberAt(member: SerfMember | null, addr: Uint8Array, port: number): boolean {
  if (member === null || member.Port !== port) return false
  return sameIp(member.Addr, addr)
}

/**
 * The membership backend's messages (a discriminated union on `type`, append-only) and their
 * compact binary form. They travel in Gossamer's envelope on the election channel, framed with
 * their group (group-frame.ts), as one UDP user message through swim, between Gossamer members
 * only (a Serf agent never sees them):
 *
 *   0 'G' 1 'L'   magic (Gossamer Lease)
 *   2 u8  1       format version (a new layout gets a new number; decoders refuse unknown ones)
 *   3 ...         msgpack map (msgpackr, useRecords: false: every message stands alone)
 *
 * Decoding is bounded: the byte limit is checked before anything is parsed, and every field (type,
 * term, round, names) before a message is returned; anything else is ERR_ELECTION_MESSAGE_CORRUPT or
 * ERR_ELECTION_MESSAGE_OVERSIZED, never a crash or a half-checked value.
 */
import { Packr } from 'msgpackr'
import { ElectionDecodeError } from './errors.ts'
import { isTerm, type Term } from './term.ts'

/** A candidate asks for a term (round: its attempt number, echoed in the grant). */
export type VoteMsg = { type: 'vote'; term: Term; from: string; round: number }
/** A leader asks its voters to extend its lease in the same term. */
export type RenewMsg = { type: 'renew'; term: Term; from: string; round: number }
/**
 * A voter's answer to a vote or renew: granted or not, and the voter's own promised term (a
 * candidate learns of newer terms from refusals). `reason` says why a refusal happened.
 */
export type GrantMsg = { type: 'grant'; term: Term; from: string; round: number; granted: boolean; promised: Term; reason?: RefusalReason }
/**
 * A leader stepping down (it stopped believing before sending), or a candidate giving up a term it
 * will never lead, releases its voters' promises for that term early.
 */
export type ResignMsg = { type: 'resign'; term: Term; from: string }

/**
 * fence(group, term) at a node that is not the leader asks the leader it knows of whether `term` is
 * still current (round: the fence's id, echoed); the leader answers from its own lease.
 */
export type CheckMsg = { type: 'check'; term: Term; from: string; round: number }
export type CheckedMsg = { type: 'checked'; term: Term; from: string; round: number; current: boolean }

export type ElectionMsg = VoteMsg | RenewMsg | GrantMsg | ResignMsg | CheckMsg | CheckedMsg

export type RefusalReason = 'stale-term' | 'voted' | 'held' | 'restarting'
const REASONS: readonly RefusalReason[] = ['stale-term', 'voted', 'held', 'restarting']

export const ELECTION_MAGIC_0 = 0x47
export const ELECTION_MAGIC_1 = 0x4c
export const ELECTION_FORMAT_VERSION = 1
/** Bound on a member name, in UTF-8 bytes (memberlist names are host names; this caps what a decode accepts). */
export const MAX_NAME_BYTES = 512
/** The default byte limit: the largest message (a grant with a 512-byte name) is about 600 bytes. */
export const DEFAULT_MAX_ELECTION_BYTES = 1024

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' })
const UTF8 = new TextEncoder()

export function encodeElectionMsg(msg: ElectionMsg): Uint8Array {
  const body = packr.pack(msg)
  const out = new Uint8Array(3 + body.length)
  out[0] = ELECTION_MAGIC_0
  out[1] = ELECTION_MAGIC_1
  out[2] = ELECTION_FORMAT_VERSION
  out.set(body, 3)
  return out
}

export function decodeElectionMsg(bytes: Uint8Array, options: { maxBytes?: number } = {}): ElectionMsg {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ELECTION_BYTES
  if (!(bytes instanceof Uint8Array)) throw corrupt('an election message must be bytes')
  if (bytes.length > maxBytes) throw new ElectionDecodeError('ERR_ELECTION_MESSAGE_OVERSIZED', `the message is ${bytes.length} bytes; the limit is ${maxBytes}`, { details: { size: bytes.length, maxBytes } })
  if (bytes.length < 4) throw corrupt(`${bytes.length} bytes is shorter than any election message`)
  if (bytes[0] !== ELECTION_MAGIC_0 || bytes[1] !== ELECTION_MAGIC_1) throw corrupt('bad magic')
  if (bytes[2] !== ELECTION_FORMAT_VERSION) throw corrupt(`unknown format version ${bytes[2]}`)
  let values: unknown[]
  try {
    values = packr.unpackMultiple(bytes.subarray(3)) as unknown[]
  } catch (cause) {
    throw new ElectionDecodeError('ERR_ELECTION_MESSAGE_CORRUPT', 'the body is not valid msgpack', { cause })
  }
  if (values.length !== 1) throw corrupt(values.length === 0 ? 'the body is empty' : 'trailing bytes after the message')
  return checkElectionMsg(values[0])
}

/** Checks a value claimed to be an ElectionMsg (decoded bytes, or a message crossing a thread): returns it or throws corrupt. */
export function checkElectionMsg(v: unknown): ElectionMsg {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupt('the body is not a map')
  const m = v as Record<string, unknown>
  const term = field(m, 'term', isTerm)
  const from = field(m, 'from', isName)
  switch (m['type']) {
    case 'vote':
    case 'renew':
      exactKeys(m, ['type', 'term', 'from', 'round'])
      return { type: m['type'], term, from, round: field(m, 'round', isRound) }
    case 'grant': {
      const reason = m['reason']
      exactKeys(m, reason === undefined ? ['type', 'term', 'from', 'round', 'granted', 'promised'] : ['type', 'term', 'from', 'round', 'granted', 'promised', 'reason'])
      const out: GrantMsg = { type: 'grant', term, from, round: field(m, 'round', isRound), granted: field(m, 'granted', (x): x is boolean => typeof x === 'boolean'), promised: field(m, 'promised', isTerm) }
      if (reason !== undefined) out.reason = field(m, 'reason', (x): x is RefusalReason => REASONS.includes(x as RefusalReason))
      return out
    }
    case 'resign':
      exactKeys(m, ['type', 'term', 'from'])
      return { type: 'resign', term, from }
    case 'check':
      exactKeys(m, ['type', 'term', 'from', 'round'])
      return { type: 'check', term, from, round: field(m, 'round', isRound) }
    case 'checked':
      exactKeys(m, ['type', 'term', 'from', 'round', 'current'])
      return { type: 'checked', term, from, round: field(m, 'round', isRound), current: field(m, 'current', (x): x is boolean => typeof x === 'boolean') }
    default:
      throw corrupt(`unknown message type ${JSON.stringify(String(m['type']))}`)
  }
}

function isName(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && UTF8.encode(x).length <= MAX_NAME_BYTES
}

function isRound(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

function field<T>(m: Record<string, unknown>, name: string, ok: (x: unknown) => x is T): T {
  const x = m[name]
  if (!ok(x)) throw corrupt(`field ${name} is missing or out of range`)
  return x
}

function exactKeys(m: Record<string, unknown>, keys: readonly string[]): void {
  const extra = Object.keys(m).filter((k) => !keys.includes(k))
  if (extra.length > 0) throw corrupt(`unknown field ${extra[0]}`)
}

function corrupt(message: string): ElectionDecodeError {
  return new ElectionDecodeError('ERR_ELECTION_MESSAGE_CORRUPT', message)
}

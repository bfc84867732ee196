/**
 * Internal queries (spec §5.10, §5.11): the names Serf answers itself, not the application, and
 * Serf 0.9.4's own vote rule over `_serf_conflict` answers (the reference our quorum rule in
 * conflict-vote.ts improves on). The core (core.ts internalQuery) routes every `_serf_` query:
 * - `_serf_ping`: no response (acks only; `serf reachability`);
 * - `_serf_conflict`: conflict-response.ts answerConflictQuery, from the member feed;
 * - `_serf_install-key`, `_serf_use-key`, `_serf_remove-key`, `_serf_list-keys`:
 *   key-query-responder.ts, applied by swim's live keyring (an ask, off the packet path);
 * - any other `_serf_` name: unhandled (Serf logs "Unhandled internal query"), counted.
 *
 * Serf resolveNodeConflict (tallyConflictVotes): count the responses whose Member has our address
 * and port; fewer than `responses/2 + 1` → minority, shut down. No response at all is a minority
 * too (0 < 1) in Serf; conflict-vote.ts refuses that (a quorum of the voters must answer).
 */
import { decodeSerfMessage } from '../../src/wire/serf.ts'
import type { SerfMember } from '../../src/wire/serf.ts'

export const PING_QUERY = '_serf_ping'
export const CONFLICT_QUERY = '_serf_conflict'

export interface ConflictTally {
  responses: number
  matching: number
  /** Responses that were not a decodable `[6]…` (skipped, as Serf does). */
  invalid: number
  majority: number
  /** True: keep running; false: we are the minority claimant and must shut down. */
  keep: boolean
}

/** Serf resolveNodeConflict's vote over the collected response payloads. */
export function tallyConflictVotes(payloads: readonly (Uint8Array | null)[], local: { addr: Uint8Array; port: number }): ConflictTally {
  let responses = 0
  let matching = 0
  let invalid = 0
  for (const p of payloads) {
    let member: SerfMember | null
    try {
      if (p === null || p.length < 1 || p[0] !== 6) throw new Error('not a conflict response')
      const m = decodeSerfMessage(p)
      if (m.type !== 'conflictResponse') throw new Error('not a conflict response')
      member = m.Member
    } catch {
      invalid++
      continue
    }
    responses++
    if (member !== null && member.Port === local.port && sameIp(member.Addr, local.addr)) matching++
  }
  const majority = Math.floor(responses / 2) + 1
  return { responses, matching, invalid, majority, keep: matching >= majority }
}

/** Go net.IP.Equal: a 4-byte IPv4 equals its 16-byte IPv4-mapped form. */
export function sameIp(a: Uint8Array, b: Uint8Array): boolean {
  const x = toV16(a)
  const y = toV16(b)
  if (x === null || y === null) return false
  for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return false
  return true
}

function toV16(ip: Uint8Array): Uint8Array | null {
  if (ip.length === 16) return ip
  if (ip.length !== 4) return null
  const out = new Uint8Array(16)
  out[10] = 0xff
  out[11] = 0xff
  out.set(ip, 12)
  return out
}

/**
 * Internal queries (spec §5.10, §5.11): queries named `_serf_…` are answered by Serf itself, not
 * the application (the responder has already acked them when asked).
 *
 * - `_serf_ping`: no response (acks only; `serf reachability`).
 * - `_serf_conflict`: the payload is a node name; answer `[6]Member` as we know that name
 *   (`[6][c0]` if we do not), and nothing when the name is ours.
 * - `_serf_install-key`, `_serf_use-key`, `_serf_remove-key`, `_serf_list-keys`: need the keyring,
 *   which lives in swim's thread; reported as 'keyring' for the actor to route (not built yet).
 * - any other `_serf_` name: unhandled (Serf logs "Unhandled internal query"), counted by the caller.
 *
 * And the originator's side of `_serf_conflict` (Serf resolveNodeConflict): count the responses
 * whose Member has our address and port; fewer than `responses/2 + 1` → we are the minority and
 * shut down. No response at all is a minority too (0 < 1), as in Serf.
 */
import { decodeSerfMessage, encodeSerfMessage } from '../../src/wire/serf.ts'
import type { SerfMember } from '../../src/wire/serf.ts'

export const PING_QUERY = '_serf_ping'
export const CONFLICT_QUERY = '_serf_conflict'
const KEY_QUERIES = new Set(['_serf_install-key', '_serf_use-key', '_serf_remove-key', '_serf_list-keys'])

export type InternalAnswer = { kind: 'respond'; payload: Uint8Array } | { kind: 'none' } | { kind: 'keyring' } | { kind: 'unhandled' }

const utf8 = new TextDecoder('utf-8', { fatal: false })

/** What Serf answers to internal query `name` with `payload`. */
export function answerInternalQuery(name: string, payload: Uint8Array | null, self: { name: string; lookup: (node: string) => SerfMember | undefined }): InternalAnswer {
  if (name === PING_QUERY) return { kind: 'none' }
  if (KEY_QUERIES.has(name)) return { kind: 'keyring' }
  if (name !== CONFLICT_QUERY) return { kind: 'unhandled' }
  const node = utf8.decode(payload ?? new Uint8Array(0))
  if (node === self.name) return { kind: 'none' }
  return { kind: 'respond', payload: encodeSerfMessage({ type: 'conflictResponse', Member: self.lookup(node) ?? null }) }
}

/**
 * What the serf-events core does with a received internal query: the ONE place every `_serf_`
 * query is routed (core.ts). `respond`: answer with this payload; `none`: nothing to answer (the
 * responder has acked already when asked); `unhandled`: not answered, counted in the actor's
 * `internalUnhandled`. `_serf_ping` and the answering side of `_serf_conflict` are Serf's; the key
 * queries need swim's keyring and are plugged in here (issue 12, key-*.ts), until then unhandled.
 */
export type InternalQueryVerdict = { kind: 'respond'; payload: Uint8Array } | { kind: 'none' } | { kind: 'unhandled'; reason: 'keyring' | 'unknown' }

export function handleInternalQuery(name: string, payload: Uint8Array | null, self: { name: string; lookup: (node: string) => SerfMember | undefined }): InternalQueryVerdict {
  const a = answerInternalQuery(name, payload, self)
  if (a.kind === 'keyring') return { kind: 'unhandled', reason: 'keyring' }
  if (a.kind === 'unhandled') return { kind: 'unhandled', reason: 'unknown' }
  return a
}

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

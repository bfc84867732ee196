/**
 * The worker side of fencing: which assignments a worker accepts. An assignment is ordered by
 * (term, version): a worker refuses one whose term is older than the newest it has accepted or
 * heard of from its election view (a deposed leader still publishing), a version that is not
 * newer within the same term (a replay or a reordering), and a term implausibly far ahead of
 * what it knows (a corrupt or forged term near 2^53 would otherwise fence out every real leader
 * for good). Every refusal is counted by reason; nothing is dropped unseen. Pure data in, data
 * out, so the guard lives in an actor's context and survives a restart with it.
 */
import { toWireError, type WireError } from '../../src/errors/index.ts'
import { decodeAssignment } from './assignment-codec.ts'
import type { Assignment } from './assignment.ts'
import { AssignmentDecodeError } from './errors.ts'

export type RefusalReason = 'stale-term' | 'stale-version' | 'duplicate' | 'future-term' | 'invalid' | 'corrupt' | 'oversized'

export interface TermGuardConfig {
  /**
   * How far past the newest known term an assignment's term may be (1,000,000): far above the
   * elections (membership backend: +1 each) or lease revisions (NATS KV: about one per 1.7 s
   * renewal) that pass between two assignments a worker sees, far below a corrupt 2^53. Applies
   * only once a term is known: a fresh worker accepts any valid term (an old cluster's lease
   * revision may be in the millions), so give it the election's view first (observeTerm).
   */
  maxTermLead: number
  /** Byte limit for encoded assignments (decodeAssignment's default, 4 MiB, when unset). */
  maxBytes?: number
}

export const DEFAULT_TERM_GUARD_CONFIG: Readonly<TermGuardConfig> = Object.freeze({ maxTermLead: 1_000_000 })

export interface TermGuardState {
  /** Term and version of the newest accepted assignment. */
  readonly term: number | undefined
  readonly version: number | undefined
  /** Newest term the local election view reported (observeTerm). */
  readonly electedTerm: number | undefined
  readonly accepted: number
  readonly refused: Readonly<Record<RefusalReason, number>>
  readonly lastRefusal: (WireError & { reason: RefusalReason }) | undefined
}

export type Verdict = { accepted: true } | { accepted: false; reason: RefusalReason; error: WireError }

export function createTermGuard(): TermGuardState {
  return {
    term: undefined,
    version: undefined,
    electedTerm: undefined,
    accepted: 0,
    refused: { 'stale-term': 0, 'stale-version': 0, duplicate: 0, 'future-term': 0, invalid: 0, corrupt: 0, oversized: 0 },
    lastRefusal: undefined,
  }
}

/** Records a term the election reported; assignments from older terms are refused from now on. */
export function observeTerm(guard: TermGuardState, term: number): TermGuardState {
  if (!isCounter(term) || (guard.electedTerm !== undefined && term <= guard.electedTerm)) return guard
  return { ...guard, electedTerm: term }
}

/** Offers an assignment: accepted (and remembered) or refused (and counted). */
export function offerAssignment(guard: TermGuardState, a: Pick<Assignment, 'term' | 'version'>, config: TermGuardConfig = DEFAULT_TERM_GUARD_CONFIG): { guard: TermGuardState; verdict: Verdict } {
  if (!isCounter(a.term) || !isCounter(a.version)) {
    return refuse(guard, 'invalid', 'ERR_ASSIGNMENT_INVALID_TERM', `term ${String(a.term)} / version ${String(a.version)} are not non-negative safe integers`)
  }
  const known = maxDefined(guard.term, guard.electedTerm)
  if (known !== undefined && a.term < known) {
    return refuse(guard, 'stale-term', 'ERR_ASSIGNMENT_STALE_TERM', `term ${a.term} is older than the newest known term ${known}`)
  }
  if (known !== undefined && a.term - known > config.maxTermLead) {
    return refuse(guard, 'future-term', 'ERR_ASSIGNMENT_FUTURE_TERM', `term ${a.term} is more than ${config.maxTermLead} past the newest known term ${known}`)
  }
  if (a.term === guard.term && guard.version !== undefined && a.version <= guard.version) {
    return a.version === guard.version
      ? refuse(guard, 'duplicate', 'ERR_ASSIGNMENT_DUPLICATE', `version ${a.version} of term ${a.term} is already in force`)
      : refuse(guard, 'stale-version', 'ERR_ASSIGNMENT_STALE_VERSION', `version ${a.version} is older than ${guard.version} in term ${a.term}`)
  }
  return { guard: { ...guard, term: a.term, version: a.version, accepted: guard.accepted + 1 }, verdict: { accepted: true } }
}

/** Decodes and offers encoded bytes; a corrupt or oversized blob is a counted refusal carrying its code. */
export function offerEncoded(
  guard: TermGuardState,
  bytes: Uint8Array,
  config: TermGuardConfig = DEFAULT_TERM_GUARD_CONFIG,
): { guard: TermGuardState; verdict: Verdict; assignment: Assignment | undefined } {
  let a: Assignment
  try {
    a = decodeAssignment(bytes, config.maxBytes === undefined ? {} : { maxBytes: config.maxBytes })
  } catch (err) {
    const wire = toWireError(err)
    const reason: RefusalReason = err instanceof AssignmentDecodeError && err.code === 'ERR_ASSIGNMENT_OVERSIZED' ? 'oversized' : 'corrupt'
    return { ...refuse(guard, reason, wire.code, wire.message), assignment: undefined }
  }
  const out = offerAssignment(guard, a, config)
  return { ...out, assignment: out.verdict.accepted ? a : undefined }
}

function refuse(guard: TermGuardState, reason: RefusalReason, code: string, message: string): { guard: TermGuardState; verdict: Verdict } {
  const error = { code, message }
  return {
    guard: { ...guard, refused: { ...guard.refused, [reason]: guard.refused[reason] + 1 }, lastRefusal: { ...error, reason } },
    verdict: { accepted: false, reason, error },
  }
}

function isCounter(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.max(a, b)
}

/**
 * The election term: the membership backend's fencing token. A candidate campaigns with a term one
 * past the newest it has promised; a voter grants at most one candidate per term and never a term
 * older than its promise; assignments carry the leader's term and workers refuse older ones
 * (actors/assignment/term-guard.ts). Branded (src/types/ids.ts) so a term is never mixed up with a
 * version or a round; toTerm is the one checked constructor.
 */
import type { Term } from '../../src/types/ids.ts'
import { ElectionInputError } from './errors.ts'

export type { Term }

/** No term yet: every real term is > 0. */
export const NO_TERM = 0 as Term

export function isTerm(n: unknown): n is Term {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}

/** `n` as a Term; ERR_ELECTION_INVALID_TERM for anything but a non-negative safe integer. */
export function toTerm(n: unknown): Term {
  if (!isTerm(n)) throw new ElectionInputError('ERR_ELECTION_INVALID_TERM', `a term must be a non-negative safe integer (got ${String(n)})`)
  return n
}

/** The term after `t`; ERR_ELECTION_INVALID_TERM past 2^53 − 1 (unreachable at one term per campaign). */
export function nextTerm(t: Term): Term {
  return toTerm(t + 1)
}

export function maxTerm(a: Term, b: Term): Term {
  return (a >= b ? a : b) as Term
}

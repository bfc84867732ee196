/**
 * Join outcomes and retried joins, as plain data in swim's context (pure: no clock, no I/O).
 *
 * A join is memberlist's: one push/pull (Join=true) with each address, a success if any one
 * completes. One that reaches no one is an error the caller sees: counted (`joinFailures`) and
 * kept as `lastJoinError` (ERR_SWIM_JOIN, with each address's reason).
 *
 * Two kinds of join are retried until one succeeds:
 * - Serf's retry-join (`config.retryJoin`): the listed addresses together, after start;
 * - the rejoin after a restart from a persisted snapshot: the members known before it (plus the
 *   configured join and retry-join addresses), so the restarted node's table fills again; it is
 *   also done when the table has members again by other means (a peer's push/pull).
 * Serf waits retry_interval between attempts; we back off instead, from 1 s doubling up to
 * `retryJoinIntervalMs` (each wait up to 20% shorter, from the node's seeded randomness, so nodes
 * restarted together do not retry in step): a join refused by a momentarily full peer is retried
 * within seconds, a seed that is down for long costs one attempt per interval. With
 * `retryJoinMax` M > 0 there are at most M + 1 attempts (Serf's count); then the retry ends
 * `exhausted` with ERR_SWIM_RETRY_JOIN_EXHAUSTED, counted and logged. Serf's agent exits there;
 * swim keeps running (a peer may still join it) and the failure stays in its context.
 */
import type { RandomSource } from '../../src/types/random.ts'
import { createSeededRandom, hashLabel } from '../../src/types/random.ts'
import type { WireError } from '../../src/errors/index.ts'

/** Why a join was made: a plain join (the input's, or `swim.join`), or one of the retried kinds. */
export type JoinPurpose = 'join' | 'retry-join' | 'rejoin'

/** A join's outcome: the runner sends it to its own actor (internal; swim-runner.ts `join`). */
export interface JoinResultMsg {
  type: 'swim.join-result'
  purpose: JoinPurpose
  addresses: string[]
  /** push/pulls that completed (0: the join reached no one). */
  numJoined: number
  /** "address: reason" for each one that failed. */
  errors: string[]
}

/** A retried join: where it stands. */
export interface JoinRetryView {
  /** 'off': nothing to retry; 'joining': an attempt is out; 'waiting': the next is scheduled. */
  status: 'off' | 'joining' | 'waiting' | 'joined' | 'exhausted'
  /** What is retried (meaningless while off). */
  purpose: 'retry-join' | 'rejoin'
  /** The addresses each attempt joins together. */
  addresses: string[]
  /** Attempts made so far, the first included. */
  attempts: number
  /** When the next attempt is due (actor clock, ms); null unless waiting. */
  nextAttemptAtMs: number | null
  /** The last attempt's failure (ERR_SWIM_JOIN); once exhausted, ERR_SWIM_RETRY_JOIN_EXHAUSTED. */
  lastError: WireError | undefined
}

export const JOIN_RETRY_OFF: JoinRetryView = Object.freeze({ status: 'off', purpose: 'retry-join', addresses: [], attempts: 0, nextAttemptAtMs: null, lastError: undefined }) as JoinRetryView

/**
 * The retry jitter's seeded stream as plain data (it lives in the context, so a restart goes on
 * with it): its seed, drawn from the actor's stream at the first jitter, and the values it gave.
 */
export interface JitterStream {
  seed: number
  draws: number
}

/**
 * The seed of a jitter stream: one draw from `parent` mixed with the label, as RandomSource.fork
 * derives a stream (drawn only at the first retry: at the start it would shift every later draw
 * of a node that never retries).
 */
export function jitterSeed(parent: RandomSource, label = 'swim.join-retry'): number {
  return (Math.floor(parent.next() * 0x1_0000_0000) ^ hashLabel(label)) >>> 0
}

/** The next value in [0, 1) of `stream`, and the stream after it (regenerated from its seed: retries are few). */
export function drawJitter(stream: JitterStream): { value: number; next: JitterStream } {
  const r = createSeededRandom(stream.seed)
  for (let i = 0; i < stream.draws; i++) r.next()
  return { value: r.next(), next: { seed: stream.seed, draws: stream.draws + 1 } }
}

/** The first retry waits this long (ms), each next one twice as long, up to retryJoinIntervalMs. */
export const FIRST_RETRY_DELAY_MS = 1_000
/** Each wait is shortened by up to this fraction (seeded jitter). */
const JITTER = 0.2

/** The wait (ms) after `failedAttempts` (>= 1) failed attempts; `random` in [0, 1). */
export function retryDelayMs(failedAttempts: number, intervalMs: number, random: number): number {
  const full = Math.min(intervalMs, FIRST_RETRY_DELAY_MS * 2 ** Math.max(0, failedAttempts - 1))
  return Math.max(1, Math.round(full * (1 - JITTER * random)))
}

/** The coded error of a join that reached no one. */
export function joinError(purpose: JoinPurpose, addresses: readonly string[], errors: readonly string[]): WireError {
  const why = errors.length > 0 ? errors.join('; ') : 'no addresses'
  return {
    code: 'ERR_SWIM_JOIN',
    message: `${purpose} reached no member (${addresses.length} address${addresses.length === 1 ? '' : 'es'}): ${why}`,
    details: { purpose, addresses: [...addresses], errors: [...errors] },
  }
}

/** A retry starting now: its first attempt goes out at once. */
export function startRetry(purpose: JoinRetryView['purpose'], addresses: readonly string[], attemptsBefore = 0): JoinRetryView {
  return { status: 'joining', purpose, addresses: [...addresses], attempts: attemptsBefore + 1, nextAttemptAtMs: null, lastError: undefined }
}

/** The next attempt of a waiting retry goes out. */
export function nextAttempt(retry: JoinRetryView): JoinRetryView {
  return { ...retry, status: 'joining', attempts: retry.attempts + 1, nextAttemptAtMs: null }
}

/**
 * An attempt's outcome: joined, or wait `delayMs` for the next (status 'waiting'), or exhausted
 * after `maxRetries` retries (0 = never). `random` gives the jitter, in [0, 1).
 */
export function afterAttempt(
  retry: JoinRetryView,
  outcome: { numJoined: number; error: WireError | undefined },
  limits: { intervalMs: number; maxRetries: number },
  nowMs: number,
  random: () => number,
): { retry: JoinRetryView; delayMs?: number } {
  if (outcome.numJoined > 0) return { retry: { ...retry, status: 'joined', nextAttemptAtMs: null, lastError: undefined } }
  if (limits.maxRetries > 0 && retry.attempts > limits.maxRetries) {
    const lastError: WireError = {
      code: 'ERR_SWIM_RETRY_JOIN_EXHAUSTED',
      message: `${retry.purpose} gave up after ${retry.attempts} attempts (retryJoinMax ${limits.maxRetries}): ${outcome.error?.message ?? 'no member reached'}`,
      details: { purpose: retry.purpose, attempts: retry.attempts, addresses: [...retry.addresses], ...(outcome.error === undefined ? {} : { last: outcome.error }) },
    }
    return { retry: { ...retry, status: 'exhausted', nextAttemptAtMs: null, lastError } }
  }
  // Drawn only for a wait: a join that succeeds or gives up takes nothing from the random stream.
  const delayMs = retryDelayMs(retry.attempts, limits.intervalMs, random())
  return { retry: { ...retry, status: 'waiting', nextAttemptAtMs: nowMs + delayMs, lastError: outcome.error }, delayMs }
}

/** A join to make now. */
export interface PlannedJoin {
  addresses: string[]
  purpose: JoinPurpose
}

/** At a fresh start: the input's join (one attempt), and Serf's retry-join when configured. */
export function firstJoins(inputJoin: readonly string[] | undefined, retryJoin: readonly string[]): { joins: PlannedJoin[]; retry: JoinRetryView } {
  const joins: PlannedJoin[] = inputJoin !== undefined && inputJoin.length > 0 ? [{ addresses: [...inputJoin], purpose: 'join' }] : []
  if (retryJoin.length === 0) return { joins, retry: JOIN_RETRY_OFF }
  const retry = startRetry('retry-join', retryJoin)
  return { joins: [...joins, { addresses: retry.addresses, purpose: retry.purpose }], retry }
}

/**
 * After a restore: rejoin the members known before, the input's join and the retry-join addresses
 * (not our own address), retried until one answers; a retry still pending goes on with them added.
 * A node that was leaving rejoins no one (it leaves again) and its pending retry ends.
 */
export function resumedJoins(
  before: { joinRetry: JoinRetryView; knownPeers: readonly string[]; address: string; leaving: boolean },
  inputJoin: readonly string[] | undefined,
  retryJoin: readonly string[],
): { joins: PlannedJoin[]; retry: JoinRetryView } {
  const old = before.joinRetry
  const pending = old.status === 'joining' || old.status === 'waiting'
  if (before.leaving) return { joins: [], retry: pending ? { ...old, status: 'off', nextAttemptAtMs: null } : old }
  const addresses = [...new Set([...before.knownPeers, ...(inputJoin ?? []), ...retryJoin, ...(pending ? old.addresses : [])])].filter((a) => a !== before.address)
  if (addresses.length === 0) return { joins: [], retry: old }
  const retry = pending ? { ...nextAttempt(old), addresses } : startRetry('rejoin', addresses)
  return { joins: [{ addresses: retry.addresses, purpose: retry.purpose }], retry }
}

/**
 * A retry's timer came due: the next attempt, or none (not waiting any more; or a rejoin whose
 * table has members again by other means, e.g. a peer's push/pull: then it is done).
 */
export function dueAttempt(retry: JoinRetryView, othersKnown: boolean): { retry: JoinRetryView; join?: PlannedJoin } {
  if (retry.status !== 'waiting') return { retry }
  if (retry.purpose === 'rejoin' && othersKnown) return { retry: { ...retry, status: 'joined', nextAttemptAtMs: null, lastError: undefined } }
  const next = nextAttempt(retry)
  return { retry: next, join: { addresses: next.addresses, purpose: next.purpose } }
}

/**
 * A join's outcome: its error (a join that reached no one), and what becomes of the retry it
 * belongs to, if it is the retry's attempt in flight (a plain join never touches the retry).
 */
export function settleJoin(
  retry: JoinRetryView,
  result: JoinResultMsg,
  limits: { intervalMs: number; maxRetries: number },
  nowMs: number,
  random: () => number,
): { error: WireError | undefined; retry: JoinRetryView; delayMs?: number } {
  const error = result.numJoined > 0 ? undefined : joinError(result.purpose, result.addresses, result.errors)
  if (result.purpose === 'join' || result.purpose !== retry.purpose || retry.status !== 'joining') return { error, retry }
  return { error, ...afterAttempt(retry, { numJoined: result.numJoined, error }, limits, nowMs, random) }
}

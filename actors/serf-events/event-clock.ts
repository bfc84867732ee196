/**
 * The event and query Lamport clocks (spec §5.3) as pure functions on a u64 value, so the cores can
 * keep a clock inside their state and return the new value (issue 11's shape).
 *
 * Why not member-manager's LamportClock: it is a mutable class, and the architecture rule
 * (test/architecture.test.ts) lets one actor import only another actor's protocol.ts. The
 * semantics are the same: Time, Increment (+1, saturating at 2^64 − 1), Witness (v ≥ cur → v + 1).
 */
import type { LamportTime } from '../member-manager/protocol.ts'

export const MAX_LAMPORT_TIME: LamportTime = (1n << 64n) - 1n

/** Serf Increment(): the new value (saturates: a peer may have sent 2^64 − 1). */
export function incrementClock(cur: LamportTime): LamportTime {
  return cur < MAX_LAMPORT_TIME ? cur + 1n : cur
}

/** Serf Witness(v): if v < cur nothing changes, otherwise the clock moves to v + 1. */
export function witnessClock(cur: LamportTime, v: LamportTime): LamportTime {
  if (v < cur) return cur
  return v >= MAX_LAMPORT_TIME ? MAX_LAMPORT_TIME : v + 1n
}

/** A remote clock from push/pull: Serf witnesses `remote − 1` (no message at `remote` was sent yet). */
export function witnessRemoteClock(cur: LamportTime, remote: LamportTime): LamportTime {
  return remote > 0n ? witnessClock(cur, remote - 1n) : cur
}

export interface StartedClock {
  /** The clock after start: 1, or `restored + 1` after a snapshot replay. */
  clock: LamportTime
  /**
   * Messages older than this are dropped (Serf eventMinTime / queryMinTime): 0 without a snapshot,
   * `restored + 1` with one, so events already handled before the restart are not delivered again.
   */
  minTime: LamportTime
}

/**
 * The clock at start (Serf Create): incremented once so it is at least 1, then, with a snapshot,
 * witnesses the restored value; the min time is `restored + 1` only when a snapshot was replayed.
 */
export function startClock(restored?: LamportTime): StartedClock {
  const first = incrementClock(0n)
  if (restored === undefined) return { clock: first, minTime: 0n }
  return { clock: witnessClock(first, restored), minTime: incrementClock(restored) }
}

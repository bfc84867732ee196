/**
 * When member-manager tells swim its Serf user state ahead of time (`member.user-state`), so that a
 * push/pull carries it without asking. Pure: the machine calls these with the actor clock's time
 * and runs the delayed `member.user-state-due` they ask for (machine.ts).
 *
 * Why: with every actor in its own thread, a push/pull's `member.local-state` ask is a round trip
 * to member-manager's thread, and during a join burst that thread is busy with the same burst. On a
 * seed answering four joins at once the asks took 2-38 ms each (median 11; five workers agents,
 * bench/agents/join-cpu.ts), on the path of every joiner's reply. Serf reads its LocalState under a
 * lock in the same process; this is the nearest a thread apart can get.
 *
 * The rule: after a turn that moved what the user state is made of (the member clock, the member
 * table, the event layer's slice), the state goes to swim once the push interval since the last
 * tell has passed (at once, as a 0 ms delay, when it has: a batch of turns still makes one tell).
 * The interval grows with the state's size, so the bytes told stay under PUSH_BYTES_PER_MS: a
 * five-member state (~0.6 KiB) goes at most every PUSH_MIN_INTERVAL_MS, a 1,000-member one
 * (~30 KiB) at most every ~300 ms. A 20 ms minimum made about seven tells per agent in a join burst
 * of five, each a message to swim's thread, and cost more CPU than the asks it saved; at 100 ms a
 * burst makes one or two. What swim holds is therefore at most one interval (plus a tell
 * in flight) older than member-manager's state, as if its push/pull had started that much earlier:
 * the newer facts travel by gossip anyway, and Serf's merge takes only newer LTimes. A swim that has
 * not been told yet (its first start, a restart in a new thread) asks as before.
 */
import type { MemberCoreState } from './member-effects.ts'

/** Shortest time between two tells (ms): a burst of changes makes one tell per interval. */
export const PUSH_MIN_INTERVAL_MS = 100
/** The tells' byte budget (bytes per ms, i.e. 100 KB/s): a larger state is told less often. */
export const PUSH_BYTES_PER_MS = 100
/** The delayed event's id (one at a time: `pending` says whether it is scheduled). */
export const USER_STATE_DUE_ID = 'member.user-state-due'

/** The push's bookkeeping in the context (persisted; a restore schedules a fresh tell). */
export interface UserStatePushState {
  /** A `member.user-state-due` is scheduled. */
  pending: boolean
  /** Actor-clock time of the last tell (ms); 0 before the first. */
  lastAt: number
  /** Time to keep after that tell before the next one (ms), from its size. */
  intervalMs: number
  /** Tells made. */
  told: number
}

export const freshUserStatePush = (): UserStatePushState => ({ pending: false, lastAt: 0, intervalMs: 0, told: 0 })

/** Did the turn from `before` to `after` change a part the user state is built from (member-reads.ts localUserStateOf)? */
export function userStateMoved(before: MemberCoreState, after: MemberCoreState): boolean {
  return before.clock !== after.clock || before.table.records !== after.table.records || before.eventState !== after.eventState
}

/** The delay (ms) of the next tell's `member.user-state-due`, or undefined when one is scheduled already. */
export function nextTellDelay(push: UserStatePushState, now: number): number | undefined {
  if (push.pending) return undefined
  return Math.max(0, push.lastAt + push.intervalMs - now)
}

/** The bookkeeping after telling `bytes` at `now`. */
export function afterTell(push: UserStatePushState, bytes: number, now: number): UserStatePushState {
  return { pending: false, lastAt: now, intervalMs: Math.max(PUSH_MIN_INTERVAL_MS, Math.ceil(bytes / PUSH_BYTES_PER_MS)), told: push.told + 1 }
}

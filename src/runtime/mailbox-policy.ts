/**
 * The mailbox's overflow decision, shared by the inline mailbox and the cross-thread link so the
 * two placements cannot disagree on what a full mailbox does.
 */
import type { LinkPolicy } from './frames.ts'

/**
 * What to do with one more message when `queued` are waiting:
 * - `ok`: room;
 * - `drop-oldest`: make room by dropping the oldest actor message (counted by the caller);
 * - `backpressure`: accept, but tell the sender to slow down;
 * - `reject`: refuse (policy `reject` at the bound);
 * - `ceiling`: refuse (policy `backpressure` past capacity x backpressureCeiling).
 */
export type Admission = 'ok' | 'drop-oldest' | 'backpressure' | 'reject' | 'ceiling'

export function admit(queued: number, policy: LinkPolicy): Admission {
  const cap = policy.capacity
  if (queued < cap) return 'ok'
  if (policy.overflow === 'reject') return 'reject'
  if (policy.overflow === 'drop-oldest') return 'drop-oldest'
  return queued >= cap * policy.backpressureCeiling ? 'ceiling' : 'backpressure'
}

/**
 * The mailbox's overflow decision, shared by the inline mailbox and the cross-thread link so the
 * two placements cannot disagree on what a full mailbox does.
 */
import type { ReplyTo } from '../types/actor-env.ts'
import { K, type LinkPolicy } from './frames.ts'

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

/**
 * True for what a mailbox policy may drop: an actor message, or one routed through the system
 * thread to an inline actor. Runtime items (replies, snapshot reads, inspection toggles, queued
 * calls) are never dropped: drop-oldest passes over them to the oldest message.
 */
export function isActorMessage(item: unknown): boolean {
  const it = item as { type?: unknown; k?: unknown } | null
  return it !== null && typeof it === 'object' && (typeof it.type === 'string' || it.k === K.routed)
}

/**
 * The reply token of a queued request (an actor message, or a routed one), if it is one. A
 * request the mailbox refuses or drops fails its ask at once with this token, so no ask is left
 * to time out on a message that is gone.
 */
export function requestOf(item: unknown): ReplyTo<unknown> | undefined {
  const it = item as { replyTo?: unknown; k?: unknown; m?: { replyTo?: unknown } } | null
  if (it === null || typeof it !== 'object') return undefined
  const token = it.k === K.routed ? it.m?.replyTo : it.replyTo
  return token !== null && typeof token === 'object' ? (token as ReplyTo<unknown>) : undefined
}

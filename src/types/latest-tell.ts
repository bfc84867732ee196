/**
 * LatestTell: a tell where only the latest value matters (a cluster size). Values set during one
 * turn go as one message at its end (a microtask), and a message the receiver's full mailbox
 * refuses is sent again, with whatever value is latest by then, once that mailbox has room
 * (`env.whenReady`). At most one value waits, so it needs no bound of its own. Pure: no timers,
 * no I/O; the env's `send` and `whenReady` are its only effects.
 *
 * swim (memberlist's node count) and member-manager (Serf's member count) tell gossip-queue their
 * sizes this way: a push/pull of N nodes changes the size N times in one turn, which sent as N
 * messages filled gossip-queue's mailbox, and a refused last one left the queue's retransmit limit
 * stale until the next change.
 */
import type { ActorEnv, Message } from './actor-env.ts'
import { actorAddress } from './actor-env.ts'

export interface LatestTellStats {
  /** Messages handed to the mailbox. */
  sent: number
  /** Values replaced by a newer one before they went. */
  coalesced: number
  /** Sends refused by a full mailbox and tried again when it had room. */
  retried: number
  /** Dropped: no such receiver, or it stopped (or refused it with no way to wait for room). */
  undelivered: number
}

export function createLatestTell<M extends Message>(env: Pick<ActorEnv, 'send' | 'whenReady'>, to: () => string, onUndelivered?: () => void) {
  const stats: LatestTellStats = { sent: 0, coalesced: 0, retried: 0, undelivered: 0 }
  let pending: M | undefined
  /** A flush is queued, or waits for room. */
  let scheduled = false

  const flush = (): void => {
    scheduled = false
    const msg = pending
    if (msg === undefined) return
    pending = undefined
    const status = env.send(actorAddress<M>(to()), msg)
    if (status === 'ok' || status === 'backpressure' || status === 'displaced') {
      stats.sent++
      return
    }
    if (status === 'rejected' && env.whenReady !== undefined) {
      // Refused (the mailbox is at its hard bound): keep it, unless a newer value replaces it, and
      // try again once there is room. Rejection implies no room, so this waits; it cannot spin.
      stats.retried++
      pending = msg
      scheduled = true
      void env.whenReady(to()).then(flush, flush)
      return
    }
    stats.undelivered++
    onUndelivered?.()
  }

  return {
    stats,
    /** The new value: sent at the end of this turn, unless a newer one comes first. */
    set(msg: M): void {
      if (pending !== undefined) stats.coalesced++
      pending = msg
      if (scheduled) return
      scheduled = true
      queueMicrotask(flush)
    },
  }
}

export type LatestTell<M extends Message> = ReturnType<typeof createLatestTell<M>>

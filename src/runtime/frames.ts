/**
 * The runtime's thread protocol. Two kinds of ports:
 * - a link (MessageChannel port pair) between two threads that host actors, carrying actor
 *   messages, replies and credits. A single actor message travels as the plain object itself (the
 *   cheapest structured clone); a batch travels as an array; everything else is a frame with `k`.
 * - the control channel between the system thread and a worker (the Worker's own port):
 *   lifecycle, directory, inspection, persistence, stats, compute relays.
 */
import type { MessagePort } from 'node:worker_threads'
import type { WireError } from '../errors/cluster-error.ts'
import type { ActorExitReport } from './types.ts'

/** Link frame: credit for `n` items handled (the sender may post its next batch). */
export const F_ACK = 1
/** Link frame: credit `a` plus a payload (one item or an array of items). */
export const F_DATA = 2
/** Link item: a reply to the ask with correlation id `c` (value `v` or error `e`). */
export const F_REPLY = 3
/** Link item (to the system thread): message `m` for the inline actor `to`. */
export const F_ROUTED = 4
/** Link item: "reply with your snapshot digest to cid `c`", queued behind earlier messages. */
export const F_SNAPSHOT = 5

/** Link item: inspection on/off (`on`), in order with the messages sent before and after. */
export const F_INSPECT = 6
/** Link item: snapshot digests on/off (`on`), in order with the messages. */
export const F_WATCH = 7
/**
 * Link item: the emitted event types the system thread wants forwarded (`types`, `'*'` for all;
 * empty: none), in order with the messages sent before and after.
 */
export const F_EMITS = 8

export interface AckFrame {
  k: typeof F_ACK
  n: number
}
export interface DataFrame {
  k: typeof F_DATA
  a: number
  d: unknown
}
export interface ReplyItem {
  k: typeof F_REPLY
  c: number
  v?: unknown
  e?: WireError
  /** The asking inline actor, when a worker's reply travels through the system thread. */
  to?: string
}
export interface RoutedItem {
  k: typeof F_ROUTED
  to: string
  m: { type: string }
}
export interface SnapshotItem {
  k: typeof F_SNAPSHOT
  c: number
}
export interface EmitsItem {
  k: typeof F_EMITS
  types: string[]
}

/** Control messages, worker -> system thread. */
export type WorkerToMain =
  | { k: 'started'; restored: boolean }
  | { k: 'start-failed'; error: WireError }
  | { k: 'crashed'; error: WireError }
  | { k: 'restarted'; restarts: number; restored: boolean }
  | { k: 'escalated'; error: WireError; restarts: number }
  | { k: 'persist'; snapshot: unknown; at: number }
  | { k: 'inspect'; events: unknown[] }
  | { k: 'snapshot'; digest: unknown }
  | { k: 'overflow'; to: string; policy: 'drop-oldest' | 'reject' | 'ceiling'; count: number }
  | { k: 'invalid'; error: WireError; messageType: string }
  | { k: 'undeliverable'; to: string; reason: 'unknown' | 'stopped'; messageType: string; count: number }
  | { k: 'stats'; cid: number; stats: CellStats; links: Record<string, LinkStats> }
  | { k: 'idle-to'; cid: number }
  /** `finished`: the machine completed its exit work (reached a final state) within the timeout. */
  | { k: 'stopped'; finished: boolean; stats: CellStats; links: Record<string, LinkStats>; exit?: ActorExitReport }
  | { k: 'compute'; cid: number; module: string; name: string; input: unknown }
  /** An event the machine emitted (XState `emit`), of a type the system thread subscribed to. */
  | { k: 'emitted'; event: { type: string } }
  /** An emitted event that could not be cloned for its trip to the system thread (not forwarded). */
  | { k: 'emit-uncloneable'; eventType: string; error: WireError }

/** Control messages, system thread -> worker. */
export type MainToWorker =
  | { k: 'peer'; id: string; port: MessagePort; mailbox: LinkPolicy }
  | { k: 'peer-down'; id: string }
  | { k: 'peer-gone'; id: string }
  | { k: 'dir'; id: string; where: 'main' | 'gone' }
  | { k: 'inspect'; on: boolean }
  | { k: 'watch'; on: boolean }
  | { k: 'stats'; cid: number }
  | { k: 'idle-to'; cid: number; id: string }
  | { k: 'stop'; timeoutMs: number }
  | { k: 'compute-done'; cid: number; value?: unknown; error?: WireError }
  /** Actor `id` crashed, escalated or stopped: fail this worker's env asks waiting on it with `error`. */
  | { k: 'asks-fail'; id: string; error: WireError }

export interface LinkPolicy {
  capacity: number
  overflow: 'backpressure' | 'drop-oldest' | 'reject'
  backpressureCeiling: number
}

export interface CellStats {
  handled: number
  invalid: number
  /** Refused by the actor itself (stopped, escalated, or over the hold limit while restarting). */
  refused: number
  /** Replies to this actor's env asks that came after the ask was settled (ignored). */
  lateReplies: number
}

export interface LinkStats {
  dropped: number
  rejected: number
  lost: number
  queued: number
}

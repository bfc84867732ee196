/**
 * Everything that crosses a thread, in one vocabulary. An actor message travels as itself (the
 * plain object with its string `type`: the cheapest structured clone) and a batch of items as an
 * array; every other thing is a frame: a plain object whose numeric kind `k` is one of `K` below.
 * The kind's range says where a frame travels:
 * - 1-19, link items: on a link (a MessageChannel port pair between two threads that host actors,
 *   link.ts), in order with the actor messages and under the link's flow control;
 * - 20-39, control from a worker to the system thread (the Worker's own port): lifecycle,
 *   persistence, inspection, digests, accounting, emitted events, answers;
 * - 40-59, control from the system thread to a worker: the directory of peers, requests, the stop.
 * A new worker thread starts from a WorkerBoot (its workerData), the first thing that crosses.
 * Kinds are append-only, like every protocol here.
 */
import type { MessagePort } from 'node:worker_threads'
import type { WireError } from '../errors/cluster-error.ts'
import type { SupervisionOptions } from './options.ts'
import type { PersistedRecord } from './persist-options.ts'
import type { GraphFrame } from './graph-frame.ts'
import type { ActorExitReport } from './types.ts'

/** Every frame kind. */
export const K = {
  // --- link items (both directions, any two actor threads) ---
  /** Credit for `n` items handled (the sender may post its next batch). */
  ack: 1,
  /** Credit `a` plus a payload `d` (one item or an array of items). */
  data: 2,
  /** A reply to the ask with correlation id `c` (value `v` or error `e`). */
  reply: 3,
  /** (To the system thread) message `m` for the inline actor `to`. */
  routed: 4,
  /** "Reply with your snapshot digest to cid `c`", queued behind earlier messages. */
  snapshot: 5,
  /** Inspection on/off (`on`). */
  inspect: 6,
  /** Snapshot digests on/off (`on`). */
  watch: 7,
  /** The emitted event types to forward (`types`, `'*'` for all; empty: none). */
  emits: 8,

  // --- control, worker -> system thread ---
  started: 20,
  startFailed: 21,
  crashed: 22,
  restarted: 23,
  escalated: 24,
  /** A persisted snapshot to keep for the next thread. */
  persist: 25,
  /** Inspection events of one turn. */
  inspected: 26,
  /** A snapshot digest for the subscribers (`ref.subscribe`). */
  digest: 27,
  overflow: 28,
  invalid: 29,
  undeliverable: 30,
  /** The answer to `statsOf`. */
  stats: 31,
  /** The answer to `idleTo`. */
  idle: 32,
  stopped: 33,
  /** A task for the system's compute pool. */
  compute: 34,
  /** An event the machine emitted, of a subscribed type. */
  emitted: 35,
  /** An emitted event that could not be cloned (not forwarded). */
  emitUncloneable: 36,
  /** One turn's log lines (pino JSON, level-filtered in the worker) for the system's log sink. */
  logs: 37,
  /** A persisted immutable record as the objects not sent before (graph-frame.ts). */
  persistGraph: 38,

  // --- control, system thread -> worker ---
  /** A channel to a (re)started peer worker. */
  peer: 40,
  /** A peer's thread died and restarts: hold what is sent to it. */
  peerDown: 41,
  /** A peer stopped or escalated for good. */
  peerGone: 42,
  /** An inline actor started (`where: 'main'`) or ended (`'gone'`). */
  dir: 43,
  /** Counters, please (answered by `stats`). */
  statsOf: 44,
  /** Answer `idle` once everything sent toward actor `id` was handled. */
  idleTo: 45,
  stop: 46,
  /** The compute pool's answer to a `compute`. */
  computeDone: 47,
  /** Actor `id` crashed, escalated or stopped: fail the env asks waiting on it with `error`. */
  asksFail: 48,
} as const

/* The link's names for the link items (link.ts and its tests use these). */
export const F_ACK = K.ack
export const F_DATA = K.data
export const F_REPLY = K.reply
export const F_ROUTED = K.routed
export const F_SNAPSHOT = K.snapshot
export const F_INSPECT = K.inspect
export const F_WATCH = K.watch
export const F_EMITS = K.emits

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
export interface SwitchItem {
  k: typeof F_INSPECT | typeof F_WATCH
  on: boolean
}
export interface EmitsItem {
  k: typeof F_EMITS
  types: string[]
}
/** What a link carries besides actor messages (ack and data frames wrap these). */
export type LinkItem = ReplyItem | RoutedItem | SnapshotItem | SwitchItem | EmitsItem

/** Control messages, worker -> system thread. */
export type WorkerToMain =
  | { k: typeof K.started; restored: boolean }
  | { k: typeof K.startFailed; error: WireError }
  | { k: typeof K.crashed; error: WireError }
  | { k: typeof K.restarted; restarts: number; restored: boolean }
  | { k: typeof K.escalated; error: WireError; restarts: number }
  | { k: typeof K.persist; snapshot: unknown; at: number }
  | { k: typeof K.persistGraph; frame: GraphFrame; at: number }
  | { k: typeof K.inspected; events: unknown[] }
  | { k: typeof K.digest; digest: unknown }
  | { k: typeof K.overflow; to: string; policy: 'drop-oldest' | 'reject' | 'ceiling'; count: number }
  | { k: typeof K.invalid; error: WireError; messageType: string }
  | { k: typeof K.undeliverable; to: string; reason: 'unknown' | 'stopped'; messageType: string; count: number }
  | { k: typeof K.stats; cid: number; stats: CellStats; links: Record<string, LinkStats> }
  | { k: typeof K.idle; cid: number }
  /** `finished`: the machine completed its exit work (reached a final state) within the timeout. */
  | { k: typeof K.stopped; finished: boolean; stats: CellStats; links: Record<string, LinkStats>; exit?: ActorExitReport }
  | { k: typeof K.compute; cid: number; module: string; name: string; input: unknown }
  | { k: typeof K.emitted; event: { type: string } }
  | { k: typeof K.emitUncloneable; eventType: string; error: WireError }
  /** `dropped`: lines over the per-second bound since the last `logs` (not sent). */
  | { k: typeof K.logs; lines: string[]; dropped: number }

/** Control messages, system thread -> worker. */
export type MainToWorker =
  | { k: typeof K.peer; id: string; port: MessagePort; mailbox: LinkPolicy }
  | { k: typeof K.peerDown; id: string }
  | { k: typeof K.peerGone; id: string }
  | { k: typeof K.dir; id: string; where: 'main' | 'gone' }
  | { k: typeof K.statsOf; cid: number }
  | { k: typeof K.idleTo; cid: number; id: string }
  | { k: typeof K.stop; timeoutMs: number }
  | { k: typeof K.computeDone; cid: number; value?: unknown; error?: WireError }
  | { k: typeof K.asksFail; id: string; error: WireError }

/** What the system thread passes to a new worker thread (its `workerData`): the first thing to cross. */
export interface WorkerBoot {
  __gossamer: 1
  __entry?: string
  /** The actor's bundle (the build): the code cache's boot runs it (code-cache/worker-boot.ts). */
  __bundle?: string
  /** The code cache's folder, with a bundle; absent: the bundle is compiled from source. */
  __codeCache?: string
  id: string
  node: string
  seed: number
  logLevel: string
  /**
   * Lines per second this actor may send to the system's log sink (see logging/log-batch.ts);
   * undefined: the system has no sink and the thread writes its lines to fd 1 itself.
   */
  logLinesPerSecond?: number
  input: unknown
  supervision: SupervisionOptions
  mailbox: LinkPolicy
  /** Policy of this worker's link to the system thread (inline actors apply theirs on arrival). */
  mainPolicy: LinkPolicy
  mainPort: MessagePort
  peers: { id: string; port: MessagePort; mailbox: LinkPolicy }[]
  inline: string[]
  /** Stopped or escalated actors: sends to them report `stopped` (not `unknown`). */
  gone: string[]
  restore: PersistedRecord | undefined
  restarts: number
  inspect: boolean
  watch: boolean
  /** Emitted event types the system thread subscribed to (`'*'`: all). */
  emits: string[]
}

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

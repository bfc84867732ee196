/**
 * SystemCore: the state an ActorSystem's parts share (the actor table, clock, ask table,
 * listeners, counters) and the routing every part needs: a message from the system thread to its
 * target, a reply to whoever waits, drops and refusals counted and announced. The public facade
 * is ActorSystem (actor-system.ts); spawning, refs, inspection and shutdown live in their own
 * files and work on this core.
 */
import { resolve } from 'node:path'
import type { AnyStateMachine } from 'xstate'
import type { Logger } from 'pino'
import type { ActorClock } from '../types/time.ts'
import type { Message, ReplyTo, SendStatus } from '../types/actor-env.ts'
import { toWireError, type ClusterError, type WireError } from '../errors/cluster-error.ts'
import { ActorStoppedError, InvalidMessageError, MailboxFullError, UnknownActorError } from '../errors/runtime-errors.ts'
import { rootLogger } from '../logging/root-logger.ts'
import { resolveLogLevel } from '../logging/levels.ts'
import { DEFAULT_LOG_LINES_PER_SECOND } from '../logging/log-batch.ts'
import { recordOfLine, type LogRecord, type LogSink } from '../logging/log-record.ts'
import { AskTable } from './ask-table.ts'
import { ComputePool } from './compute-pool.ts'
import type { ActorDefinition } from './define-actor.ts'
import { realClock } from './env.ts'
import { K } from './frames.ts'
import type { EventHub } from './event-hub.ts'
import type { InlineMailbox } from './inline-mailbox.ts'
import type { OverflowKind } from './link.ts'
import { requestOf } from './mailbox-policy.ts'
import {
  createMailboxOptions,
  createSupervisionOptions,
  createWorkerLimits,
  type MailboxOptions,
  type SupervisionOptions,
  type WorkerLimits,
  validateSystemOptions,
} from './options.ts'
import { memorySnapshotStore, type SnapshotStore } from './persist-options.ts'
import type { SimulatedClock } from './simulated-clock.ts'
import type { ActorRef, ActorStats, InspectionEvent, Placement, SystemEvent, SystemOptions } from './types.ts'
import type { WorkerProxy } from './worker-proxy.ts'

/** The system thread's endpoint name in reply tokens. */
export const MAIN = '$main'

/** One spawned actor, as the system thread keeps it. */
export interface Entry {
  id: string
  definition: ActorDefinition<AnyStateMachine>
  placement: Placement
  mailbox: MailboxOptions
  dependsOn: readonly string[]
  order: number
  inline: InlineMailbox | undefined
  worker: WorkerProxy | undefined
  /** Drops/rejections reported by worker threads' links to this actor. */
  reported: { dropped: number; rejected: number }
  /** Overflow counts not yet announced as a system event, per kind. */
  unannounced: Map<OverflowKind, number>
  stoppedStats: ActorStats | undefined
  ref: ActorRef<AnyStateMachine>
  /** An inline actor's env asks (replies addressed to it land here); undefined for workers. */
  asks: AskTable | undefined
  /** Subscriptions to the actor's emitted events (`ref.on`, `ref.events`). */
  events: EventHub
  /** Log lines its worker thread dropped over the log sink's per-second bound. */
  logLinesDropped: number
}

export class SystemCore {
  readonly node: string
  readonly seed: number
  readonly clock: ActorClock
  readonly logLevel: string
  readonly log: Logger
  /** Where every thread's log lines go (undefined: each thread writes to fd 1). */
  readonly logSink: LogSink | undefined
  readonly logLinesPerSecond: number
  /** The bundled actors' code cache folder (SystemOptions.codeCache). */
  readonly codeCache: string | undefined
  /** Records the log sink threw on (each is lost; nothing else is). */
  logSinkErrors = 0
  readonly mailbox: MailboxOptions
  readonly supervision: SupervisionOptions
  readonly store: SnapshotStore
  readonly asks: AskTable
  readonly compute: ComputePool
  readonly askTimeoutMs: number
  /** V8 heap caps of every actor worker thread (a spawn may override them). */
  readonly workerLimits: WorkerLimits
  readonly actors = new Map<string, Entry>()
  readonly inspectors = new Set<(e: InspectionEvent) => void>()
  readonly listeners = new Set<(e: SystemEvent) => void>()
  spawned = 0
  stopping = false
  /** Sends refused because the system was stopping or the target unknown or stopped (from every thread). */
  refused = 0
  #announceQueued = false
  readonly #announce = (): void => this.announce()

  constructor(given: SystemOptions) {
    // Every option checked before anything (a logger, a pool) is built.
    const options = validateSystemOptions(given)
    this.node = options.node ?? ''
    this.seed = (options.seed ?? 1) >>> 0
    this.clock = options.clock === undefined || options.clock === 'real' ? realClock : (options.clock as SimulatedClock)
    this.logLevel = resolveLogLevel(options.logLevel)
    this.logSink = options.logSink
    this.logLinesPerSecond = options.logLinesPerSecond ?? DEFAULT_LOG_LINES_PER_SECOND
    this.codeCache = options.codeCache === undefined ? undefined : resolve(options.codeCache)
    // With a sink, this thread's lines (the runtime's and every inline actor's) reach it at once, in order.
    this.log =
      this.logSink === undefined
        ? rootLogger({ node: this.node, level: this.logLevel })
        : rootLogger({ node: this.node, level: this.logLevel, destination: { write: (line: string) => this.logLines('', [line], 0) } })
    this.mailbox = createMailboxOptions(options.mailbox)
    this.supervision = createSupervisionOptions(options.supervision)
    this.store = options.snapshotStore ?? memorySnapshotStore()
    this.asks = new AskTable(this.clock)
    this.compute = new ComputePool(options.compute ?? {})
    this.askTimeoutMs = options.askTimeoutMs ?? 5000
    this.workerLimits = createWorkerLimits(options.workerLimits, 'system.workerLimits')
  }

  /**
   * Log lines of one actor's thread (or this thread's: actor '') for the sink, in order; `dropped`
   * lines over the worker's per-second bound are counted on the actor and told to the sink once.
   */
  logLines(actor: string, lines: readonly string[], dropped: number): void {
    const sink = this.logSink
    if (sink === undefined) return
    for (const line of lines) this.#toSink(sink, recordOfLine(line, actor))
    if (dropped > 0) {
      const entry = this.actors.get(actor)
      if (entry !== undefined) entry.logLinesDropped += dropped
      const fields = { level: 40, time: this.clock.now(), node: this.node, actor, count: dropped, total: entry?.logLinesDropped ?? dropped, msg: 'log lines dropped' }
      this.#toSink(sink, { actor, level: 'warn', time: fields.time, msg: `${dropped} log lines dropped over the bound of ${this.logLinesPerSecond} per second`, fields })
    }
  }

  #toSink(sink: LogSink, record: LogRecord): void {
    try {
      sink(record)
    } catch {
      // Not logged: the log would come back here.
      this.logSinkErrors++
    }
  }

  emit(event: SystemEvent): void {
    for (const l of this.listeners) {
      try {
        l(event)
      } catch (err) {
        this.log.error({ err: toWireError(err) }, 'system event listener threw')
      }
    }
  }

  /** Posts a control message to every worker but one. */
  broadcast(exceptId: string, m: Parameters<WorkerProxy['post']>[0]): void {
    for (const e of this.actors.values()) if (e.id !== exceptId && e.worker !== undefined) e.worker.post(m)
  }

  /** Routes a message from the system thread (an inline actor or a ref) to its target. */
  route(_from: string, to: string, msg: Message): SendStatus {
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
      this.refused++
      const error = toWireError(new InvalidMessageError(to, String((msg as { type?: unknown } | null)?.type), 'a message must be an object with a string type'))
      this.emit({ type: 'message.invalid', actor: to, error, messageType: String((msg as { type?: unknown } | null)?.type) })
      return 'rejected'
    }
    const entry = this.actors.get(to)
    if (entry === undefined) {
      this.refused++
      this.emit({ type: 'message.undeliverable', to, reason: 'unknown', messageType: String(msg?.type), count: 1 })
      return 'unknown'
    }
    const inline = entry.inline
    if (inline !== undefined) {
      if (!inline.closed) return inline.send(msg)
    } else {
      const w = entry.worker!
      if (w.status !== 'stopped' && w.status !== 'escalated') return w.link.send(msg)
    }
    this.refused++
    this.emit({ type: 'message.undeliverable', to, reason: 'stopped', messageType: String(msg?.type), count: 1 })
    return 'stopped'
  }

  /**
   * Routes a message a worker thread sent to an inline actor through this thread. The worker saw
   * its send accepted (by its link to this thread), so a refusal here (the inline mailbox full
   * under `reject`, the target stopped or unknown) fails the request's ask at once, as it would
   * have failed at the sender: it is counted by route() like any refused message.
   */
  routeFromWorker(from: string, to: string, msg: Message): void {
    const status = this.route(from, to, msg)
    if (status === 'ok' || status === 'backpressure' || status === 'displaced') return
    const token = requestOf(msg)
    if (token === undefined) return
    const error =
      status === 'rejected'
        ? new MailboxFullError(to, this.actors.get(to)?.mailbox.capacity ?? 0)
        : status === 'stopped'
          ? new ActorStoppedError(to)
          : new UnknownActorError(to)
    this.reply(token, undefined, toWireError(error))
  }

  /** A request that drop-oldest displaced from `to`'s mailbox on this thread: its ask fails now. */
  displaced(to: string, item: unknown): void {
    const token = requestOf(item)
    if (token !== undefined) this.reply(token, undefined, toWireError(new MailboxFullError(to, this.actors.get(to)?.mailbox.capacity ?? 0)))
  }

  /** A message to a worker that structured clone refused: reported, counted, its ask failed. */
  unsendable(to: string, item: unknown, err: unknown): void {
    const msg = item as { type?: unknown; replyTo?: ReplyTo<unknown>; k?: number; c?: number }
    const type = typeof msg?.type === 'string' ? msg.type : `frame ${String(msg?.k)}`
    const error = toWireError(new InvalidMessageError(to, type, `cannot be sent to another thread: ${toWireError(err).message}`))
    this.refused++
    if (msg?.replyTo !== undefined && msg.replyTo !== null && typeof msg.replyTo === 'object') this.reply(msg.replyTo, undefined, error)
    this.emit({ type: 'message.invalid', actor: to, error, messageType: type })
  }

  /** Answers an ask: one of the system thread's own, or one a worker actor waits on. */
  reply(token: ReplyTo<unknown>, value: unknown, error: WireError | undefined): void {
    if (token.to === MAIN) {
      if (error !== undefined) this.asks.reject(token.cid, error)
      else this.asks.resolve(token.cid, value)
      return
    }
    const target = this.actors.get(token.to)
    if (target?.asks !== undefined) {
      if (error !== undefined) target.asks.reject(token.cid, error)
      else target.asks.resolve(token.cid, value)
      return
    }
    target?.worker?.link.force(error !== undefined ? { k: K.reply, c: token.cid, e: error } : { k: K.reply, c: token.cid, v: value })
  }

  /**
   * Actor `actor` crashed, escalated or stopped: fails the env asks waiting on it, in inline actors
   * here and in every worker (the same codes ActorRef.ask gets).
   */
  failEnvAsksOn(actor: string, error: ClusterError): void {
    for (const e of this.actors.values()) e.asks?.failActor(actor, () => error)
    this.broadcast(actor, { k: K.asksFail, id: actor, error: toWireError(error) })
  }

  /** Records drops/rejections: `fromWorker` counts come from other threads' links (summed here). */
  overflow(to: string, kind: OverflowKind, count: number, fromWorker = false): void {
    const e = this.actors.get(to)
    if (e === undefined) return
    if (fromWorker) {
      if (kind === 'drop-oldest') e.reported.dropped += count
      else e.reported.rejected += count
    }
    e.unannounced.set(kind, (e.unannounced.get(kind) ?? 0) + count)
    if (!this.#announceQueued) {
      this.#announceQueued = true
      setImmediate(this.#announce)
    }
  }

  /** Emits coalesced `mailbox.overflow` events (one per actor and kind per turn). */
  announce(): void {
    this.#announceQueued = false
    for (const e of this.actors.values()) {
      for (const [kind, count] of e.unannounced) {
        const total = kind === 'drop-oldest' ? this.droppedTotal(e) : this.rejectedTotal(e)
        this.emit({ type: 'mailbox.overflow', actor: e.id, policy: kind, count, total })
      }
      e.unannounced.clear()
    }
  }

  droppedTotal(e: Entry): number {
    return (e.inline?.dropped ?? 0) + (e.worker?.link.dropped ?? 0) + e.reported.dropped
  }

  rejectedTotal(e: Entry): number {
    return (e.inline?.rejected ?? 0) + (e.worker?.link.rejected ?? 0) + e.reported.rejected
  }
}

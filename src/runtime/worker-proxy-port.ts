/**
 * The system thread's side that a WorkerProxy talks to (WorkerProxyPort, implemented in
 * system-spawn.ts), the boot record a new thread gets from it, and the reports of a worker thread
 * that go straight to it: a persisted record,
 * inspection events, snapshot digests, overflow and undeliverable counts, refused messages,
 * emitted events, log lines, compute requests. Those change no state of the proxy's own; the
 * control messages that do (started, crashed, restarted, escalated, stopped, the answers to its
 * requests) stay in worker-proxy.ts.
 */
import type { MessagePort } from 'node:worker_threads'
import { toWireError, type ClusterError, type WireError } from '../errors/cluster-error.ts'
import type { ActorDefinition } from './define-actor.ts'
import type { AskTable } from './ask-table.ts'
import type { ResolvedEntry } from './entry.ts'
import type { ComputePool } from './compute-pool.ts'
import type { EventHub } from './event-hub.ts'
import { K, type LinkPolicy, type MainToWorker, type WorkerBoot, type WorkerToMain } from './frames.ts'
import type { OverflowKind } from './link.ts'
import type { PersistedRecord } from './persist-options.ts'
import type { GraphDecoder } from './graph-decoder.ts'
import type { ActorSnapshot, InspectionEvent, SystemEvent } from './types.ts'
import type { AnyStateMachine } from 'xstate'

/** What a WorkerProxy needs from its system. */
export interface WorkerProxyPort {
  node: string
  seed: number
  logLevel: string
  /** Lines per second a worker may send to the log sink; undefined: no sink (fd 1). */
  logLinesPerSecond: number | undefined
  /** The folder of the bundled actors' code cache (code-cache/); undefined: none. */
  codeCache: string | undefined
  /** A worker's log lines for the sink, in order, and how many it dropped over its bound. */
  logLines(id: string, lines: readonly string[], dropped: number): void
  asks: AskTable
  compute: ComputePool
  mainPolicy: LinkPolicy
  inspecting(): boolean
  emit(event: SystemEvent): void
  inspected(events: InspectionEvent[]): void
  persisted(id: string, record: PersistedRecord): void
  loadPersisted(id: string): PersistedRecord | undefined
  /** Creates a channel to every other running worker; returns this worker's ends. */
  connectPeers(id: string): { id: string; port: MessagePort; mailbox: LinkPolicy }[]
  peerDown(id: string): void
  inlineIds(): string[]
  /** A message a worker sent to an inline actor; a refused request fails its ask. */
  routeToInline(from: string, to: string, msg: { type: string }): void
  /** A request that drop-oldest displaced from the system thread's mailbox toward `to`: its ask fails. */
  displaced(to: string, item: unknown): void
  /** A worker's reply to an ask an inline actor made (env.ask). */
  replyToInline(to: string, cid: number, value: unknown, error: WireError | undefined): void
  /** This actor crashed, escalated or stopped: env asks waiting on it fail with `error`. */
  targetFailed(id: string, error: ClusterError): void
  /** This actor's thread is gone for good (escalated after a thread death): peers close their links to it. */
  gone(id: string): void
  /** Ids of stopped or escalated actors (a starting thread answers sends to them with `stopped`). */
  goneIds(): string[]
  overflowReported(to: string, kind: OverflowKind, count: number, fromWorker: boolean): void
  /** Sends the worker could not deliver (unknown or stopped target), summed per turn. */
  refusedReported(count: number): void
  /** A message that could not be cloned for its trip to `to`. */
  unsendable(to: string, item: unknown, err: unknown): void
}

/**
 * The boot record of a new thread for one actor (its first, or a replacement after a thread
 * death): the actor's own parts, and the system's view as the thread starts (node, seed, log
 * level, the other actors, whether someone inspects).
 */
export function workerBoot(
  sys: WorkerProxyPort,
  actor: Pick<WorkerBoot, 'id' | 'input' | 'supervision' | 'mailbox' | 'mainPort' | 'peers' | 'restore' | 'restarts' | 'watch' | 'emits'>,
  entry: Pick<ResolvedEntry, 'tsEntry' | 'bundle'>,
): WorkerBoot {
  const boot: WorkerBoot = {
    __gossamer: 1,
    ...actor,
    node: sys.node,
    seed: sys.seed,
    logLevel: sys.logLevel,
    mainPolicy: sys.mainPolicy,
    inline: sys.inlineIds(),
    gone: sys.goneIds(),
    inspect: sys.inspecting(),
  }
  if (entry.tsEntry !== undefined) boot.__entry = entry.tsEntry
  if (entry.bundle !== undefined) {
    boot.__bundle = entry.bundle
    if (sys.codeCache !== undefined) boot.__codeCache = sys.codeCache
  }
  if (sys.logLinesPerSecond !== undefined) boot.logLinesPerSecond = sys.logLinesPerSecond
  return boot
}

/** The parts of a WorkerProxy its reports reach. */
export interface ReportTarget {
  readonly id: string
  readonly definition: ActorDefinition<AnyStateMachine>
  readonly watchers: ReadonlySet<(s: ActorSnapshot) => void>
  readonly events: EventHub
  post(m: MainToWorker): void
}

/**
 * A structure-sharing persist of `proxy`'s thread, rebuilt by that thread's decoder. A frame that
 * does not decode keeps the last record (what a restart starts from) and is reported as a system error.
 */
export function persistGraph(sys: WorkerProxyPort, proxy: ReportTarget, decoder: GraphDecoder, m: Extract<WorkerToMain, { k: typeof K.persistGraph }>): void {
  let snapshot: unknown
  try {
    snapshot = decoder.decode(m.frame)
  } catch (err) {
    sys.emit({ type: 'system.error', error: toWireError(err) })
    return
  }
  sys.persisted(proxy.id, { version: proxy.definition.persist?.version ?? 0, snapshot, at: m.at })
}

/** Hands one report of `proxy`'s thread to the system; other control messages are left alone. */
export function forwardReport(sys: WorkerProxyPort, proxy: ReportTarget, m: WorkerToMain): void {
  switch (m.k) {
    case K.persist:
      sys.persisted(proxy.id, { version: proxy.definition.persist?.version ?? 0, snapshot: m.snapshot, at: m.at })
      break
    case K.inspected:
      sys.inspected(m.events as InspectionEvent[])
      break
    case K.digest:
      for (const w of proxy.watchers) w(m.digest as ActorSnapshot)
      break
    case K.overflow:
      sys.overflowReported(m.to, m.policy, m.count, true)
      break
    case K.invalid:
      sys.emit({ type: 'message.invalid', actor: proxy.id, error: m.error, messageType: m.messageType })
      break
    case K.undeliverable:
      sys.refusedReported(m.count)
      sys.emit({ type: 'message.undeliverable', to: m.to, reason: m.reason, messageType: m.messageType, count: m.count })
      break
    case K.emitted:
      proxy.events.deliver(m.event)
      break
    case K.logs:
      sys.logLines(proxy.id, m.lines, m.dropped)
      break
    case K.emitUncloneable:
      proxy.events.uncloneable()
      sys.emit({ type: 'event.uncloneable', actor: proxy.id, eventType: m.eventType, error: m.error })
      break
    case K.compute:
      sys.compute.run({ module: m.module, name: m.name }, m.input).then(
        (value) => proxy.post({ k: K.computeDone, cid: m.cid, value }),
        (err: unknown) => proxy.post({ k: K.computeDone, cid: m.cid, error: toWireError(err) }),
      )
      break
    default:
      break
  }
}

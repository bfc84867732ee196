/**
 * hostActor: the worker-thread side of an actor. An actor's worker.ts calls it once with the
 * definition and the real implementations. The thread's parts, each in its own file:
 * - WorkerRouter (worker-router.ts): the links to the system thread and to every peer worker,
 *   the directory of who is where, and the Router the env sends through;
 * - WorkerReports (worker-reports.ts): what is told to the system thread once per turn;
 * - ComputeRelay (compute-relay.ts): the compute pool, reached through the control channel;
 * - ActorHost (actor-host.ts): the machine itself, with its supervision, persistence and taps.
 * WorkerThread (this file) builds them from the boot data, sorts the runtime items that arrive in
 * order with the messages, answers the control messages and runs the stop.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import type { AnyStateMachine } from 'xstate'
import type { ActorEnv, Message } from '../types/actor-env.ts'
import { createSeededRandom, hashLabel } from '../types/random.ts'
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import { ActorStoppedError, InvalidMessageError, runtimeErrorFromWire } from '../errors/runtime-errors.ts'
import { actorLogger, rootLogger } from '../logging/root-logger.ts'
import { LogBatch } from '../logging/log-batch.ts'
import { ActorHost } from './actor-host.ts'
import type { AskTable } from './ask-table.ts'
import { ComputeRelay } from './compute-relay.ts'
import type { ActorDefinition, ActorImplementations } from './define-actor.ts'
import { asksOf, createEnv, realClock } from './env.ts'
import { K, type CellStats, type MainToWorker, type WorkerBoot, type WorkerToMain } from './frames.ts'
import { WorkerReports } from './worker-reports.ts'
import { GraphEncoder } from './graph-encoder.ts'
import type { PersistedRecord } from './persist-options.ts'
import { WorkerRouter } from './worker-router.ts'
import { actorThreadName, nameThisThread } from './thread-name.ts'
import { attachCodeCacheLog } from './code-cache/slot.ts'

export function hostActor<M extends AnyStateMachine>(definition: ActorDefinition<M>, implementations: ActorImplementations<M> = {}): void {
  const boot = workerData as WorkerBoot | undefined
  if (isMainThread || parentPort === null || boot?.__gossamer !== 1) {
    throw new Error(`hostActor(${definition.name}) must run in a worker started by ActorSystem.spawn`)
  }
  new WorkerThread(definition, implementations, boot, parentPort).start()
}

type ControlPort = NonNullable<typeof parentPort>

class WorkerThread<M extends AnyStateMachine> {
  readonly id: string
  readonly log: ReturnType<typeof actorLogger>
  /** With a system log sink: this thread's lines, gathered per turn for the system thread. */
  readonly logBatch: LogBatch | undefined
  readonly reports: WorkerReports
  readonly compute: ComputeRelay
  readonly router: WorkerRouter
  readonly env: ActorEnv
  /** This actor's own pending asks (env.ask): replies addressed to it settle them. */
  readonly asks: AskTable
  host: ActorHost<M> | undefined
  /** What this thread has sent of its immutable records (one per thread: a new one sends all once). */
  readonly graph = new GraphEncoder()
  /** Somebody on the system thread wants a snapshot digest after each turn that changed it. */
  #watching: boolean
  readonly #onControl = (m: MainToWorker): void => this.onControl(m)

  constructor(
    readonly definition: ActorDefinition<M>,
    readonly implementations: ActorImplementations<M>,
    readonly boot: WorkerBoot,
    readonly control: ControlPort,
  ) {
    this.id = boot.id
    // `top -H` and /proc show this thread as its actor (thread-name.ts).
    nameThisThread(actorThreadName(boot.id))
    this.#watching = boot.watch
    // With a sink, pino still filters here: only lines at the level or above are formatted and posted.
    this.logBatch = boot.logLinesPerSecond === undefined ? undefined : new LogBatch((b) => this.post({ k: K.logs, lines: b.lines, dropped: b.dropped }), boot.logLinesPerSecond, realClock.now)
    const root = this.logBatch === undefined ? rootLogger({ node: boot.node, level: boot.logLevel }) : rootLogger({ node: boot.node, level: boot.logLevel, destination: this.logBatch })
    this.log = actorLogger(root, boot.id)
    attachCodeCacheLog((level, fields, msg) => this.log[level](fields, msg))
    this.reports = new WorkerReports((m) => this.post(m), () => this.#hostTurnEnd())
    this.compute = new ComputeRelay((cid, task, input) => this.post({ k: K.compute, cid, module: task.module, name: task.name, input }))
    this.router = new WorkerRouter({
      id: boot.id,
      receiveWindow: boot.mailbox.capacity,
      mainPort: boot.mainPort,
      mainPolicy: boot.mainPolicy,
      peers: boot.peers,
      inline: boot.inline,
      gone: boot.gone,
      reports: this.reports,
      post: (m) => this.post(m),
      compute: this.compute,
      deliver: (msg) => this.host?.delivery.deliver(msg),
      offer: (msg) => this.host?.delivery.offer(msg),
      hosting: () => this.host !== undefined,
      settle: (cid, value, error) => this.#settle(cid, value, error),
      runtimeItem: (item) => this.#onRuntimeItem(item),
      batchEnd: () => this.host?.checkpoint(),
      targetGone: (target) => void this.asks.failActor(target, () => new ActorStoppedError(target)),
    })
    this.env = createEnv({
      id: boot.id,
      node: boot.node,
      clock: realClock,
      random: createSeededRandom((boot.seed ^ hashLabel(boot.id)) >>> 0),
      log: this.log,
      router: this.router,
      // Each thread start has its own restart count: a new thread's correlation ids differ from
      // the ones its predecessor's late replies carry.
      epoch: boot.restarts,
    })
    this.asks = asksOf(this.env)!
  }

  post(m: WorkerToMain): void {
    this.control.postMessage(m)
  }

  /** Starts the machine and tells the system thread; a machine that cannot start ends here. */
  start(): void {
    const boot = this.boot
    let host: ActorHost<M>
    try {
      host = new ActorHost({
        definition: this.definition,
        env: this.env,
        implementations: this.implementations,
        input: boot.input,
        supervision: boot.supervision,
        restoreFrom: boot.restore,
        restarts: boot.restarts,
        requestTurn: () => this.reports.requestTurn(),
        // Peers keep sending while the machine restarts: hold a bounded number, refuse the rest.
        holdLimit: boot.mailbox.capacity * boot.mailbox.backpressureCeiling,
        events: {
          crashed: (error) => this.post({ k: K.crashed, error }),
          restarted: (restarts, restored) => this.post({ k: K.restarted, restarts, restored }),
          escalated: (error, restarts) => this.post({ k: K.escalated, error, restarts }),
          invalid: (error, messageType) => this.post({ k: K.invalid, error, messageType }),
          persisted: (record) => this.#postRecord(record),
        },
      })
    } catch (err) {
      // The lines logged so far (why it failed) reach the sink before the failure does.
      this.logBatch?.flush()
      this.post({ k: K.startFailed, error: toWireError(err) })
      this.router.close()
      return
    }
    this.host = host
    if (boot.inspect) host.setInspector(this.#inspector)
    if (boot.watch) host.setWatched(true)
    if (boot.emits.length > 0) host.setEmitted(boot.emits, this.#emitSink)
    this.control.on('message', this.#onControl)
    this.post({ k: K.started, restored: host.lastPersisted !== undefined && boot.restore !== undefined })
  }

  /** A control message from the system thread (directory, stats, drain, stop, compute results). */
  onControl(m: MainToWorker): void {
    const router = this.router
    switch (m.k) {
      case K.peer:
        router.peerUp(m.id, m.port, m.mailbox)
        break
      case K.peerDown:
        router.peerDown(m.id)
        break
      case K.peerGone:
        router.peerGone(m.id)
        break
      case K.dir:
        router.inlineActor(m.id, m.where)
        break
      case K.statsOf:
        this.post({ k: K.stats, cid: m.cid, stats: this.#cellStats(), links: router.linkStats() })
        break
      case K.idleTo:
        void router.idleTo(m.id).then(() => this.post({ k: K.idle, cid: m.cid }))
        break
      case K.stop:
        void this.stop(m.timeoutMs)
        break
      case K.asksFail:
        this.asks.failActor(m.id, () => runtimeErrorFromWire(m.error))
        break
      case K.computeDone:
        this.compute.settle(m.cid, m.value, m.error)
        break
    }
  }

  /** Exit work, then the last counters; the thread ends when the system thread terminates it. */
  async stop(timeoutMs: number): Promise<void> {
    const h = this.host!
    const finished = await h.stop(timeoutMs)
    // Let what exit work sent reach its targets (bounded by the same timeout).
    await this.router.flush(timeoutMs)
    this.reports.turnEnd()
    this.logBatch?.flush()
    this.post({ k: K.stopped, finished, stats: this.#cellStats(), links: this.router.linkStats(), ...(h.exit !== undefined ? { exit: h.exit } : {}) })
    this.router.close()
    this.control.off('message', this.#onControl)
  }

  /** A runtime item that arrived in order with the messages. */
  #onRuntimeItem(item: { k: number; c?: number; on?: boolean; types?: string[] }): void {
    const host = this.host
    if (host === undefined) return
    // A runtime item sees the machine after the messages queued before it (a run is flushed).
    host.flush()
    switch (item.k) {
      case K.snapshot:
        this.router.main.force({ k: K.reply, c: item.c, v: host.digest() })
        break
      case K.inspect:
        host.setInspector(item.on === true ? this.#inspector : undefined)
        break
      case K.emits:
        host.setEmitted(item.types ?? [], this.#emitSink)
        break
      case K.watch:
        this.#watching = item.on === true
        host.setWatched(this.#watching)
        if (this.#watching) this.post({ k: K.digest, digest: host.digest() })
        break
    }
  }

  /**
   * A record for the system thread (a restart starts from it). Immutable records go as what the
   * system thread has not seen yet (graph-encoder.ts); others whole. Throws if it cannot be posted.
   */
  #postRecord(record: PersistedRecord): void {
    const persist = this.definition.persist
    if (persist?.immutable !== true || persist.post === 'whole') {
      this.post({ k: K.persist, snapshot: record.snapshot, at: record.at })
      return
    }
    const frame = this.graph.encode(record.snapshot)
    try {
      this.post({ k: K.persistGraph, frame, at: record.at })
    } catch (err) {
      this.graph.abort(frame)
      throw err
    }
    this.graph.commit(frame)
  }

  #settle(cid: number, value: unknown, error: WireError | undefined): void {
    if (error !== undefined) this.asks.reject(cid, error)
    else this.asks.resolve(cid, value)
  }

  /** The host's part of a turn end: persistence, then a digest if watched and changed. */
  #hostTurnEnd(): void {
    const host = this.host
    if (host === undefined) return
    const changed = host.endTurn()
    if (changed && this.#watching && host.status === 'running') this.post({ k: K.digest, digest: host.digest() })
  }

  #cellStats(): CellStats {
    const d = this.host!.delivery
    return { handled: d.handled, invalid: d.invalid, refused: d.refused, lateReplies: this.asks.late }
  }

  readonly #inspector = (actor: string, event: string, state: unknown): void => {
    this.reports.inspected(actor, event, state, realClock.now())
  }

  /**
   * Forwards one emitted event to the system thread, cloned now (the machine may change what it
   * references later in the turn). One that cannot be cloned is counted there and logged here.
   */
  readonly #emitSink = (event: Message): void => {
    try {
      this.control.postMessage({ k: K.emitted, event } satisfies WorkerToMain)
    } catch (err) {
      const eventType = String(event?.type)
      const error = toWireError(new InvalidMessageError(this.id, eventType, `emitted event cannot be sent to another thread: ${toWireError(err).message}`))
      this.log.warn({ err: error, eventType }, 'emitted event not forwarded')
      this.post({ k: K.emitUncloneable, eventType, error })
    }
  }
}
export type { WorkerBoot } from './frames.ts'

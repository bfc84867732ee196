/**
 * WorkerProxy: the system thread's side of an actor in its own worker thread (the thread's side is
 * WorkerThread, worker-host.ts). It owns the thread (start, restart after a thread death, stop)
 * and the system thread's link to it, and turns the worker's control messages into system events
 * (its reports that change nothing of its own go through worker-proxy-port.ts; its requests wait
 * in worker-requests.ts). Machine crashes are restarted inside the worker (ActorHost); a thread
 * that dies is restarted here, from the last persisted record, under the same supervision rules.
 */
// Worker comes from node:worker_threads when a thread starts, not when this module loads: an agent
// with every actor inline never loads that module (its resident memory counts; issue 13).
// MessageChannel is Node's global (the same class).
import type { MessagePort, Worker } from 'node:worker_threads'
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import { ActorCrashedError, ActorEscalatedError, ActorStartError, runtimeErrorFromWire } from '../errors/runtime-errors.ts'
import type { AnyStateMachine } from 'xstate'
import type { ActorDefinition } from './define-actor.ts'
import { resolveEntry } from './entry.ts'
import { K, type CellStats, type LinkStats, type MainToWorker, type WorkerToMain } from './frames.ts'
import { Link } from './link.ts'
import type { MailboxOptions, SupervisionOptions, WorkerLimits } from './options.ts'
import type { PersistedRecord } from './persist-options.ts'
import { RestartTracker } from './supervisor.ts'
import { forwardReport, persistGraph, workerBoot, type WorkerProxyPort } from './worker-proxy-port.ts'
import { GraphDecoder } from './graph-decoder.ts'
import { WorkerRequests } from './worker-requests.ts'
import type { EventHub } from './event-hub.ts'
import type { ActorExitReport, ActorSnapshot } from './types.ts'

export type { WorkerProxyPort } from './worker-proxy-port.ts'

export type WorkerStatus = 'starting' | 'running' | 'restarting' | 'stopped' | 'escalated'

export class WorkerProxy {
  readonly link: Link
  status: WorkerStatus = 'starting'
  worker: Worker | undefined
  readonly watchers = new Set<(s: ActorSnapshot) => void>()
  finalStats: { cell: CellStats; links: Record<string, LinkStats>; exit?: ActorExitReport } | undefined
  /** Restarts so far: in-thread (machine crashes) and of the thread itself. */
  restarts = 0
  readonly #tracker: RestartTracker
  #restartTimer: NodeJS.Timeout | undefined
  #stopping = false
  /** A stop is coming: a dead thread is restarted at once, not after its backoff. */
  #expedited = false
  /** Control requests waiting for the thread's answer (stats, idle). */
  readonly #requests = new WorkerRequests()
  #stopped: ((m: WorkerToMain) => void) | undefined
  #lastError: WireError | undefined

  constructor(
    readonly sys: WorkerProxyPort,
    readonly id: string,
    readonly definition: ActorDefinition<AnyStateMachine>,
    readonly input: unknown,
    readonly mailbox: MailboxOptions,
    readonly supervision: SupervisionOptions,
    readonly limits: WorkerLimits,
    /** The actor's subscriptions to its emitted events (on this thread; outlive the thread). */
    readonly events: EventHub,
  ) {
    this.#tracker = new RestartTracker(supervision)
    this.link = new Link(undefined, mailbox, {
      onItem: (item) => this.#onItem(item),
      onOverflow: (kind, dropped) => {
        this.sys.overflowReported(this.id, kind, 1, false)
        if (dropped !== undefined) this.sys.displaced(this.id, dropped)
      },
      onUnsendable: (item, err) => this.sys.unsendable(this.id, item, err),
      receiveWindow: sys.mainPolicy.capacity,
    })
    this.link.down = true
  }

  #onItem(item: unknown): void {
    const it = item as { k?: number; c?: number; v?: unknown; e?: WireError; to?: string; m?: { type: string } }
    if (it.k === K.reply) {
      if (it.to !== undefined) this.sys.replyToInline(it.to, it.c!, it.v, it.e)
      else if (it.e !== undefined) this.sys.asks.reject(it.c!, it.e)
      else this.sys.asks.resolve(it.c!, it.v)
    } else if (it.k === K.routed) {
      this.sys.routeToInline(this.id, it.to!, it.m!)
    }
  }

  post(m: MainToWorker, transfer?: MessagePort[]): void {
    if (this.worker !== undefined && (this.status === 'running' || this.status === 'starting')) {
      this.worker.postMessage(m, transfer ?? [])
    }
  }

  /** Starts (or restarts) the thread; resolves when the actor runs in it. */
  start(restore: PersistedRecord | undefined): Promise<void> {
    const def = this.definition
    if (def.worker === undefined) return Promise.reject(new ActorStartError(this.id, `definition "${def.name}" has no worker entry`))
    const entry = resolveEntry(def.worker)
    const { port1, port2 } = new MessageChannel()
    const peers = this.sys.connectPeers(this.id)
    const { id, input, supervision, mailbox } = this
    const parts = { id, input, supervision, mailbox, mainPort: port2, peers, restore, restarts: this.#tracker.total }
    const boot = workerBoot(this.sys, { ...parts, watch: this.watchers.size > 0, emits: this.events.types }, entry)
    this.status = 'starting'
    this.#lastError = undefined
    let worker: Worker
    try {
      worker = new (process.getBuiltinModule('node:worker_threads').Worker)(entry.file, {
        workerData: boot,
        transferList: [port2, ...peers.map((p) => p.port)],
        resourceLimits: { maxYoungGenerationSizeMb: this.limits.maxYoungGenerationSizeMb, maxOldGenerationSizeMb: this.limits.maxOldGenerationSizeMb },
      })
    } catch (err) {
      port1.close()
      return Promise.reject(new ActorStartError(this.id, toWireError(err).message, { cause: err }))
    }
    this.worker = worker
    // What this thread sent of its immutable records: a late frame of a dead thread cannot mix with a new one's.
    const graph = new GraphDecoder(this.id)
    return new Promise<void>((resolve, reject) => {
      let started = false
      worker.on('message', (m: WorkerToMain) => {
        if (m.k === K.persistGraph) persistGraph(this.sys, this, graph, m)
        else if (m.k === K.started) {
          started = true
          this.status = 'running'
          if (this.#tracker.total > 0) this.restarts++
          this.link.attach(port1)
          this.sys.emit({ type: 'actor.started', actor: this.id, placement: 'worker', restarts: this.#tracker.total, restored: m.restored })
          resolve()
        } else if (m.k === K.startFailed) {
          started = true
          this.#stopping = true
          const failed = runtimeErrorFromWire({ code: 'ERR_ACTOR_START_FAILED', message: `actor "${this.id}" failed to start: ${m.error.message}` })
          // The thread's own error as the cause, as an inline start failure has it (its code survives).
          Object.defineProperty(failed, 'cause', { value: runtimeErrorFromWire(m.error), configurable: true, writable: true })
          reject(failed)
          void worker.terminate()
        } else this.#onControl(m)
      })
      worker.on('error', (err) => {
        this.#lastError = toWireError(err)
      })
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined
        if (!started) {
          port1.close()
          reject(new ActorStartError(this.id, this.#lastError?.message ?? `thread exited with code ${code} before starting`))
          return
        }
        if (this.#stopping) {
          this.#stopped?.({ k: K.stopped, finished: false, stats: { handled: 0, invalid: 0, refused: 0, lateReplies: 0 }, links: {} })
          return
        }
        this.#onThreadDeath(this.#lastError ?? { code: 'ERR_ACTOR_CRASHED', message: `thread exited with code ${code}` })
      })
    })
  }

  #onControl(m: WorkerToMain): void {
    switch (m.k) {
      case K.crashed: {
        const asksFailed = this.sys.asks.failActor(this.id, () => new ActorCrashedError(this.id, m.error.message))
        this.sys.targetFailed(this.id, new ActorCrashedError(this.id, m.error.message))
        this.sys.emit({ type: 'actor.crashed', actor: this.id, error: m.error, asksFailed, lost: 0 })
        break
      }
      case K.restarted:
        this.restarts++
        this.sys.emit({ type: 'actor.started', actor: this.id, placement: 'worker', restarts: m.restarts, restored: m.restored })
        break
      case K.escalated:
        this.#escalated(m.error, m.restarts)
        break
      case K.stats:
      case K.idle:
        this.#requests.answer(m.cid, m)
        break
      case K.stopped:
        this.finalStats = { cell: m.stats, links: m.links, ...(m.exit !== undefined ? { exit: m.exit } : {}) }
        this.#stopped?.(m)
        break
      default:
        // What the thread reports as it happens, with no state of the proxy's to change.
        forwardReport(this.sys, this, m)
        break
    }
  }

  #escalated(error: WireError, restarts: number): void {
    this.status = 'escalated'
    this.sys.asks.failActor(this.id, () => new ActorEscalatedError(this.id, restarts))
    this.sys.targetFailed(this.id, new ActorEscalatedError(this.id, restarts))
    this.sys.emit({ type: 'actor.escalated', actor: this.id, error, restarts })
    this.sys.emit({ type: 'system.error', error })
    // It will emit nothing more: event streams end.
    this.events.close()
  }

  #onThreadDeath(error: WireError): void {
    this.status = 'restarting'
    const lost = this.link.markDown()
    this.sys.peerDown(this.id)
    const asksFailed = this.sys.asks.failActor(this.id, () => new ActorCrashedError(this.id, error.message))
    this.sys.targetFailed(this.id, new ActorCrashedError(this.id, error.message))
    this.sys.emit({ type: 'actor.crashed', actor: this.id, error, asksFailed, lost })
    const delay = this.#tracker.onCrash(Date.now())
    if (delay === undefined) {
      this.link.close()
      this.#escalated(toWireError(new ActorEscalatedError(this.id, this.#tracker.total, { cause: error })), this.#tracker.total)
      // No thread will take what peers hold for it: they close their links (counting what was
      // queued) and answer further sends with `stopped`, asks with ERR_ACTOR_STOPPED.
      this.sys.gone(this.id)
      return
    }
    if (this.#expedited) void this.#restartThread()
    else
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = undefined
        void this.#restartThread()
      }, delay)
  }

  /** Starts a new thread from the last persisted record; a failed start counts as another death. */
  #restartThread(): Promise<void> {
    if (this.#stopping) return Promise.resolve()
    return this.start(this.sys.loadPersisted(this.id)).catch((err: unknown) => {
      if (!this.#stopping) this.#onThreadDeath(toWireError(err))
    })
  }

  /**
   * A stop is coming: a thread waiting out its restart backoff starts now, so the stop can drain
   * what waited for it and run its exit work; later deaths restart at once (the restart budget
   * still applies). Resolves when that restart is done (or failed).
   */
  expedite(): Promise<void> {
    this.#expedited = true
    if (this.#restartTimer === undefined) return Promise.resolve()
    clearTimeout(this.#restartTimer)
    this.#restartTimer = undefined
    return this.#restartThread()
  }

  /** Sends a control request and waits for its answer (or undefined when the thread is gone). */
  request(make: (cid: number) => MainToWorker, timeoutMs: number): Promise<WorkerToMain | undefined> {
    if (this.worker === undefined || this.status !== 'running') return Promise.resolve(undefined)
    return this.#requests.send((m) => this.post(m), make, timeoutMs)
  }

  /**
   * Runs the actor's exit work and ends the thread. Resolves true when the worker reported it
   * stopped within timeoutMs.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer)
    this.#restartTimer = undefined
    this.#stopping = true
    const worker = this.worker
    const escalated = this.status === 'escalated'
    // An actor that escalated inside its thread still has that thread: it stops the same way (its
    // onStop runs, its counters come back), and the thread ends.
    if (worker === undefined || (this.status !== 'running' && !escalated)) {
      this.status = escalated ? 'escalated' : 'stopped'
      this.link.close()
      if (worker !== undefined) await this.terminate()
      return true
    }
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      this.#stopped = (m) => {
        clearTimeout(timer)
        resolve(m.k === K.stopped && m.finished)
      }
    })
    worker.postMessage({ k: K.stop, timeoutMs } satisfies MainToWorker)
    const ok = await done
    this.#stopped = undefined
    this.status = escalated ? 'escalated' : 'stopped'
    await this.terminate()
    return ok
  }

  /** Ends the thread now (no exit work). */
  async terminate(): Promise<void> {
    this.#stopping = true
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer)
    this.#restartTimer = undefined
    this.#requests.endAll()
    const worker = this.worker
    this.worker = undefined
    if (this.status !== 'escalated') this.status = 'stopped'
    this.link.close()
    if (worker !== undefined) await worker.terminate()
  }
}

/**
 * ActorSystem: spawns actors inline or in worker threads, routes messages between them, keeps
 * the directory every worker needs to reach its peers directly, supervises, forwards inspection,
 * and shuts everything down in dependency order.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import type { AnyStateMachine } from 'xstate'
import type { ActorClock } from '../types/time.ts'
import type { ActorId } from '../types/ids.ts'
import type { Message, ReplyTo, SendStatus } from '../types/actor-env.ts'
import { createSeededRandom, hashLabel } from '../types/random.ts'
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import {
  ActorStartError,
  InvalidMessageError,
  ActorCrashedError,
  AskAbortedError,
  ActorStoppedError,
  DuplicateActorError,
  MailboxFullError,
  SystemShutDownError,
  UnknownActorError,
} from '../errors/runtime-errors.ts'
import { actorLogger, resolveLogLevel, rootLogger } from '../logging/root-logger.ts'
import type { Logger } from 'pino'
import { ActorHost } from './actor-host.ts'
import { AskTable } from './ask-table.ts'
import { ComputePool } from './compute-pool.ts'
import type { ActorDefinition, InboundOf } from './define-actor.ts'
import { createEnv, realClock, type Router } from './env.ts'
import { F_INSPECT, F_REPLY, F_SNAPSHOT, F_WATCH, type LinkPolicy } from './frames.ts'
import { InlineActor } from './inline-actor.ts'
import type { OverflowKind } from './link.ts'
import {
  createMailboxOptions,
  createSupervisionOptions,
  memorySnapshotStore,
  type MailboxOptions,
  type PersistedRecord,
  type SnapshotStore,
  type SupervisionOptions,
} from './options.ts'
import type { SimulatedClock } from './simulated-clock.ts'
import type {
  ActorRef,
  ActorSnapshot,
  ActorStats,
  AskOptions,
  InspectionEvent,
  Placement,
  ShutdownOptions,
  ShutdownReport,
  SpawnOptions,
  SystemEvent,
  SystemOptions,
  Unsubscribe,
} from './types.ts'
import { WorkerActor, type WorkerSystemPort } from './worker-actor.ts'

const MAIN = '$main'

interface Entry {
  id: string
  definition: ActorDefinition<AnyStateMachine>
  placement: Placement
  mailbox: MailboxOptions
  dependsOn: readonly string[]
  order: number
  inline: InlineActor | undefined
  worker: WorkerActor | undefined
  /** Drops/rejections reported by worker threads' links to this actor. */
  reported: { dropped: number; rejected: number }
  /** Overflow counts not yet announced as a system event, per kind. */
  unannounced: Map<OverflowKind, number>
  stoppedStats: ActorStats | undefined
  ref: ActorRef<AnyStateMachine>
}

export class ActorSystem {
  /** Starts a system (no threads yet: each worker actor starts its thread at spawn). */
  static async start(options: SystemOptions = {}): Promise<ActorSystem> {
    return new ActorSystem(options)
  }

  readonly node: string
  readonly seed: number
  readonly #clock: ActorClock
  readonly #logLevel: string
  readonly #log: Logger
  readonly #mailbox: MailboxOptions
  readonly #supervision: SupervisionOptions
  readonly #store: SnapshotStore
  readonly #asks: AskTable
  readonly #compute: ComputePool
  readonly #askTimeoutMs: number
  readonly #actors = new Map<string, Entry>()
  readonly #inspectors = new Set<(e: InspectionEvent) => void>()
  readonly #listeners = new Set<(e: SystemEvent) => void>()
  #spawned = 0
  #stopping = false
  #shutdown: Promise<ShutdownReport> | undefined
  #announceQueued = false
  /** Sends refused because the system was stopping or the target unknown. */
  #refused = 0
  readonly #port: WorkerSystemPort
  readonly #router: Router

  private constructor(options: SystemOptions) {
    this.node = options.node ?? ''
    this.seed = (options.seed ?? 1) >>> 0
    this.#clock = options.clock === undefined || options.clock === 'real' ? realClock : (options.clock as SimulatedClock)
    this.#logLevel = resolveLogLevel(options.logLevel)
    this.#log = rootLogger({ node: this.node, level: this.#logLevel })
    this.#mailbox = createMailboxOptions(options.mailbox)
    this.#supervision = createSupervisionOptions(options.supervision)
    this.#store = options.snapshotStore ?? memorySnapshotStore()
    this.#asks = new AskTable(this.#clock)
    this.#compute = new ComputePool(options.compute ?? {})
    this.#askTimeoutMs = options.askTimeoutMs ?? 5000
    const self = this
    this.#router = {
      send: (from, to, msg) => this.#route(from, to, msg),
      whenReady: (to) => {
        const e = this.#actors.get(to)
        return e === undefined ? Promise.resolve() : e.ref.ready()
      },
      reply: (token, value) => this.#reply(token, value, undefined),
      fail: (token, error) => this.#reply(token, undefined, error),
      compute: this.#compute,
    }
    this.#port = {
      node: this.node,
      seed: this.seed,
      logLevel: this.#logLevel,
      asks: this.#asks,
      compute: this.#compute,
      mainPolicy: { capacity: this.#mailbox.capacity, overflow: 'backpressure', backpressureCeiling: 64 },
      inspecting: () => self.#inspectors.size > 0,
      emit: (e) => self.#emit(e),
      inspected: (events) => {
        for (const e of events) for (const l of self.#inspectors) l(e)
      },
      persisted: (id, record) => self.#store.save(id, record),
      loadPersisted: (id) => self.#store.load(id),
      connectPeers: (id) => self.#connectPeers(id),
      peerDown: (id) => self.#broadcast(id, { k: 'peer-down', id }),
      inlineIds: () => [...self.#actors.values()].filter((e) => e.placement === 'inline' && e.inline?.closed === false).map((e) => e.id),
      routeToInline: (from, to, msg) => void self.#route(from, to, msg),
      overflowReported: (to, kind, count, fromWorker) => self.#overflow(to, kind, count, fromWorker),
      unsendable: (to, item, err) => self.#unsendable(to, item, err),
    }
  }

  /** The system clock (the SimulatedClock when simulated). */
  get clock(): ActorClock {
    return this.#clock
  }

  /** Spawns an actor; resolves when it runs (its worker answered the handshake). */
  async spawn<M extends AnyStateMachine, TIn extends Message>(definition: ActorDefinition<M, TIn>, options: SpawnOptions<M>): Promise<ActorRef<M, TIn>> {
    if (this.#stopping) throw new SystemShutDownError('spawn')
    const id = options.id
    if (typeof id !== 'string' || id.length === 0 || id.startsWith('$')) throw new UnknownActorError(String(id), { details: { reason: 'invalid id' } })
    if (this.#actors.has(id)) throw new DuplicateActorError(id)
    const def = definition as unknown as ActorDefinition<AnyStateMachine>
    const placement: Placement = options.placement ?? 'worker'
    const mailbox = createMailboxOptions({ ...this.#mailbox, ...def.mailbox, ...options.mailbox })
    const supervision = createSupervisionOptions({ ...this.#supervision, ...def.supervision, ...options.supervision })
    const entry: Entry = {
      id,
      definition: def,
      placement,
      mailbox,
      dependsOn: options.dependsOn ?? [],
      order: this.#spawned++,
      inline: undefined,
      worker: undefined,
      reported: { dropped: 0, rejected: 0 },
      unannounced: new Map(),
      stoppedStats: undefined,
      ref: undefined as unknown as ActorRef<AnyStateMachine>,
    }
    entry.ref = this.#makeRef(entry)
    this.#actors.set(id, entry)
    try {
      if (placement === 'inline') {
        try {
          this.#startInline(entry, options as unknown as SpawnOptions<AnyStateMachine>)
        } catch (err) {
          throw new ActorStartError(id, toWireError(err).message, { cause: err })
        }
      } else {
        const w = new WorkerActor(this.#port, id, def, options.input, mailbox, supervision)
        entry.worker = w
        await w.start(def.persist === undefined ? undefined : this.#store.load(id))
      }
    } catch (err) {
      this.#actors.delete(id)
      await entry.worker?.terminate()
      throw err
    }
    if (placement === 'inline') {
      this.#broadcast(id, { k: 'dir', id, where: 'main' })
      this.#emit({ type: 'actor.started', actor: id, placement, restarts: 0, restored: entry.inline!.host.lastPersisted !== undefined })
    }
    return entry.ref as unknown as ActorRef<M, TIn>
  }

  #startInline(entry: Entry, options: SpawnOptions<AnyStateMachine>): void {
    const id = entry.id
    const env = createEnv({
      id,
      node: this.node,
      clock: this.#clock,
      random: createSeededRandom((this.seed ^ hashLabel(id)) >>> 0),
      log: actorLogger(this.#log, id),
      router: this.#router,
    })
    let inline: InlineActor | undefined
    let turnQueued = false
    const implementations = { ...(options.provide ? { provide: options.provide } : {}), ...(options.onStop ? { onStop: options.onStop } : {}) }
    const host = new ActorHost({
      definition: entry.definition,
      env,
      implementations,
      input: options.input,
      supervision: createSupervisionOptions({ ...this.#supervision, ...entry.definition.supervision, ...options.supervision }),
      restoreFrom: entry.definition.persist === undefined ? undefined : this.#store.load(id),
      requestTurn: () => {
        if (turnQueued) return
        turnQueued = true
        queueMicrotask(() => {
          turnQueued = false
          inline?.turn()
        })
      },
      events: {
        crashed: (error) => {
          const asksFailed = this.#asks.failActor(id, () => new ActorCrashedError(id, error.message))
          this.#emit({ type: 'actor.crashed', actor: id, error, asksFailed, lost: 0 })
        },
        restarted: (restarts, restored) => this.#emit({ type: 'actor.started', actor: id, placement: 'inline', restarts, restored }),
        escalated: (error, restarts) => {
          this.#emit({ type: 'actor.escalated', actor: id, error, restarts })
          this.#emit({ type: 'system.error', error })
        },
        invalid: (error, messageType) => this.#emit({ type: 'message.invalid', actor: id, error, messageType }),
        persisted: (record) => this.#store.save(id, record),
      },
    })
    inline = new InlineActor(host, entry.mailbox, (kind) => this.#overflow(id, kind, 1))
    entry.inline = inline
    if (this.#inspectors.size > 0) host.setInspector(this.#inlineInspector)
  }

  readonly #inlineInspector = (actor: string, event: string, state: unknown): void => {
    const e: InspectionEvent = { actor, event, state: state as InspectionEvent['state'], at: this.#clock.now(), placement: 'inline' }
    for (const l of this.#inspectors) l(e)
  }

  #connectPeers(id: string): { id: string; port: MessagePort; mailbox: LinkPolicy }[] {
    const mine: { id: string; port: MessagePort; mailbox: LinkPolicy }[] = []
    const self = this.#actors.get(id)
    for (const e of this.#actors.values()) {
      const w = e.worker
      // Running or starting (a concurrent spawn): a starting worker reads its control queue once up.
      if (e.id === id || w === undefined || w.worker === undefined || (w.status !== 'running' && w.status !== 'starting')) continue
      const { port1, port2 } = new MessageChannel()
      mine.push({ id: e.id, port: port1, mailbox: e.mailbox })
      w.post({ k: 'peer', id, port: port2, mailbox: self!.mailbox }, [port2])
    }
    return mine
  }

  #broadcast(exceptId: string, m: Parameters<WorkerActor['post']>[0]): void {
    for (const e of this.#actors.values()) if (e.id !== exceptId && e.worker !== undefined) e.worker.post(m)
  }

  /** Routes a message from the system thread (an inline actor or a ref) to its target. */
  #route(_from: string, to: string, msg: Message): SendStatus {
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
      this.#refused++
      const error = toWireError(new InvalidMessageError(to, String((msg as { type?: unknown } | null)?.type), 'a message must be an object with a string type'))
      this.#emit({ type: 'message.invalid', actor: to, error, messageType: String((msg as { type?: unknown } | null)?.type) })
      return 'rejected'
    }
    const entry = this.#actors.get(to)
    if (entry === undefined) {
      this.#refused++
      this.#emit({ type: 'message.undeliverable', to, reason: 'unknown', messageType: String(msg?.type) })
      return 'unknown'
    }
    const w = entry.worker
    if (entry.inline !== undefined ? entry.inline.closed : w!.status === 'stopped' || w!.status === 'escalated') {
      this.#refused++
      this.#emit({ type: 'message.undeliverable', to, reason: 'stopped', messageType: String(msg?.type) })
      return 'stopped'
    }
    return entry.inline !== undefined ? entry.inline.send(msg) : w!.link.send(msg)
  }

  /** A message to a worker that structured clone refused: reported, counted, its ask failed. */
  #unsendable(to: string, item: unknown, err: unknown): void {
    const msg = item as { type?: unknown; replyTo?: ReplyTo<unknown>; k?: number; c?: number }
    const type = typeof msg?.type === 'string' ? msg.type : `frame ${String(msg?.k)}`
    const error = toWireError(new InvalidMessageError(to, type, `cannot be sent to another thread: ${toWireError(err).message}`))
    this.#refused++
    if (msg?.replyTo !== undefined && msg.replyTo.to === MAIN) this.#asks.reject(msg.replyTo.cid, error)
    this.#emit({ type: 'message.invalid', actor: to, error, messageType: type })
  }

  #reply(token: ReplyTo<unknown>, value: unknown, error: WireError | undefined): void {
    if (token.to === MAIN) {
      if (error !== undefined) this.#asks.reject(token.cid, error)
      else this.#asks.resolve(token.cid, value)
      return
    }
    const w = this.#actors.get(token.to)?.worker
    w?.link.force(error !== undefined ? { k: F_REPLY, c: token.cid, e: error } : { k: F_REPLY, c: token.cid, v: value })
  }

  /** Records drops/rejections: `fromWorker` counts come from other threads' links (summed here). */
  #overflow(to: string, kind: OverflowKind, count: number, fromWorker = false): void {
    const e = this.#actors.get(to)
    if (e === undefined) return
    if (fromWorker) {
      if (kind === 'drop-oldest') e.reported.dropped += count
      else e.reported.rejected += count
    }
    e.unannounced.set(kind, (e.unannounced.get(kind) ?? 0) + count)
    if (!this.#announceQueued) {
      this.#announceQueued = true
      setImmediate(() => this.#announce())
    }
  }

  /** Emits coalesced `mailbox.overflow` events (one per actor and kind per turn). */
  #announce(): void {
    this.#announceQueued = false
    for (const e of this.#actors.values()) {
      for (const [kind, count] of e.unannounced) {
        const policy = kind
        const total = kind === 'drop-oldest' ? this.#droppedTotal(e) : this.#rejectedTotal(e)
        this.#emit({ type: 'mailbox.overflow', actor: e.id, policy, count, total })
      }
      e.unannounced.clear()
    }
  }

  #droppedTotal(e: Entry): number {
    return (e.inline?.dropped ?? 0) + (e.worker?.link.dropped ?? 0) + e.reported.dropped
  }

  #rejectedTotal(e: Entry): number {
    return (e.inline?.rejected ?? 0) + (e.worker?.link.rejected ?? 0) + e.reported.rejected
  }

  #emit(event: SystemEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event)
      } catch (err) {
        this.#log.error({ err: toWireError(err) }, 'system event listener threw')
      }
    }
  }

  #makeRef(entry: Entry): ActorRef<AnyStateMachine> {
    const system = this
    const id = entry.id
    const ref = {
      id: id as ActorId,
      placement: entry.placement,
      send(msg: Message): SendStatus {
        if (system.#stopping) {
          system.#refused++
          return 'stopped'
        }
        return system.#route(MAIN, id, msg)
      },
      ask(msg: Message, options: AskOptions = {}): Promise<unknown> {
        return system.#ask(entry, msg, options)
      },
      subscribe(listener: (s: ActorSnapshot) => void): Unsubscribe {
        return system.#watch(entry, listener)
      },
      getSnapshot(): Promise<ActorSnapshot> {
        return system.#getSnapshot(entry)
      },
      ready(): Promise<void> {
        return entry.inline !== undefined ? entry.inline.ready() : entry.worker!.link.ready()
      },
      stats(): Promise<ActorStats> {
        return system.#stats(entry)
      },
      stop(): Promise<void> {
        return system.#stopOne(entry, 5000).then(() => undefined)
      },
    }
    return ref as unknown as ActorRef<AnyStateMachine>
  }

  #ask(entry: Entry, msg: Message, options: AskOptions): Promise<unknown> {
    const type = String((msg as { type?: unknown })?.type)
    if (this.#stopping) return Promise.reject(new SystemShutDownError(`ask ${type}`))
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
      return Promise.reject(new InvalidMessageError(entry.id, type, 'a message must be an object with a string type'))
    }
    if (options.signal?.aborted) return Promise.reject(new AskAbortedError(entry.id, type, { cause: options.signal.reason }))
    const { cid, promise } = this.#asks.open(entry.id, type, options.timeoutMs ?? this.#askTimeoutMs, options.signal)
    const status = this.#route(MAIN, entry.id, { ...msg, replyTo: { to: MAIN, cid } } as Message)
    if (status === 'rejected') this.#asks.reject(cid, new MailboxFullError(entry.id, entry.mailbox.capacity))
    else if (status === 'stopped') this.#asks.reject(cid, new ActorStoppedError(entry.id))
    return promise
  }

  #watch(entry: Entry, listener: (s: ActorSnapshot) => void): Unsubscribe {
    const set = entry.inline?.watchers ?? entry.worker!.watchers
    const first = set.size === 0
    set.add(listener)
    if (first && entry.worker !== undefined) entry.worker.link.force({ k: F_WATCH, on: true })
    if (first && entry.inline !== undefined) entry.inline.host.setWatched(true)
    return () => {
      set.delete(listener)
      if (set.size === 0 && entry.worker !== undefined) entry.worker.link.force({ k: F_WATCH, on: false })
      if (set.size === 0 && entry.inline !== undefined) entry.inline.host.setWatched(false)
    }
  }

  #getSnapshot(entry: Entry): Promise<ActorSnapshot> {
    if (entry.inline !== undefined) {
      const inline = entry.inline
      if (inline.closed) return Promise.resolve(structuredClone(inline.host.digest()))
      return new Promise((resolve) => inline.enqueueCall(() => resolve(structuredClone(inline.host.digest()))))
    }
    const w = entry.worker!
    if (w.status !== 'running' && w.status !== 'restarting') return Promise.reject(new ActorStoppedError(entry.id))
    const { cid, promise } = this.#asks.open(entry.id, 'getSnapshot', this.#askTimeoutMs, undefined)
    w.link.force({ k: F_SNAPSHOT, c: cid })
    return promise as Promise<ActorSnapshot>
  }

  async #stats(entry: Entry): Promise<ActorStats> {
    if (entry.stoppedStats !== undefined) return { ...entry.stoppedStats }
    return this.#liveStats(entry)
  }

  async #liveStats(entry: Entry): Promise<ActorStats> {
    const base = { id: entry.id, placement: entry.placement, dropped: this.#droppedTotal(entry), rejected: this.#rejectedTotal(entry) }
    if (entry.inline !== undefined) {
      const h = entry.inline.host
      return {
        ...base,
        status: entry.inline.closed ? (h.status === 'escalated' ? 'escalated' : 'stopped') : h.status,
        handled: h.handled,
        invalid: h.invalid,
        lost: 0,
        restarts: h.restarts,
        queued: entry.inline.ring.length,
        rejected: base.rejected + h.refused,
      }
    }
    const w = entry.worker!
    const answer = await w.request((cid) => ({ k: 'stats', cid }), 2000)
    const cell = answer?.k === 'stats' ? answer.stats : w.finalStats?.cell
    return {
      ...base,
      status: w.status,
      handled: cell?.handled ?? w.link.acked,
      invalid: cell?.invalid ?? 0,
      rejected: base.rejected + (cell?.refused ?? 0),
      lost: w.link.lost,
      restarts: w.restarts,
      queued: w.link.ring.length + w.link.inFlight,
    }
  }

  /** The ref of a spawned actor, or undefined. Type it by passing its definition. */
  ref<M extends AnyStateMachine, TIn extends Message = InboundOf<M>>(id: string, _definition?: ActorDefinition<M, TIn>): ActorRef<M, TIn> | undefined {
    return this.#actors.get(id)?.ref as unknown as ActorRef<M, TIn> | undefined
  }

  /** Every actor's transitions (from every thread) while at least one listener is attached. */
  inspect(listener: (event: InspectionEvent) => void): Unsubscribe {
    const first = this.#inspectors.size === 0
    this.#inspectors.add(listener)
    if (first) this.#setInspection(true)
    return () => {
      if (!this.#inspectors.delete(listener)) return
      if (this.#inspectors.size === 0) this.#setInspection(false)
    }
  }

  #setInspection(on: boolean): void {
    for (const e of this.#actors.values()) {
      if (e.inline !== undefined) e.inline.host.setInspector(on ? this.#inlineInspector : undefined)
      else if (!e.worker!.link.closed) e.worker!.link.force({ k: F_INSPECT, on })
    }
  }

  /**
   * Resolves once every running actor has handled what the system thread sent it before this
   * call (including inspection and subscription toggles, which travel in order with messages).
   */
  async sync(): Promise<void> {
    const live = [...this.#actors.values()].filter((e) => e.stoppedStats === undefined && (e.inline !== undefined ? !e.inline.closed : e.worker!.status === 'running'))
    await Promise.all(live.map((e) => this.#getSnapshot(e).catch(() => undefined)))
  }

  /** Lifecycle and accounting events (crashes, restarts, escalations, drops). */
  on(listener: (event: SystemEvent) => void): Unsubscribe {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  async stats(): Promise<ActorStats[]> {
    return Promise.all([...this.#actors.values()].map((e) => this.#stats(e)))
  }

  /** Sends refused at the system level (system stopping, unknown target). */
  get refused(): number {
    return this.#refused
  }

  /** Shutdown order: an actor before everything it depends on; otherwise the newest first. */
  #shutdownOrder(): Entry[] {
    const entries = [...this.#actors.values()].sort((a, b) => b.order - a.order)
    const out: Entry[] = []
    const state = new Map<string, 'visiting' | 'done'>()
    // Reverse post-order of "is depended on by": visit dependents before dependencies.
    const dependents = new Map<string, Entry[]>()
    for (const e of entries) for (const d of e.dependsOn) dependents.set(d, [...(dependents.get(d) ?? []), e])
    const visit = (e: Entry): void => {
      if (state.get(e.id) !== undefined) return
      state.set(e.id, 'visiting')
      for (const dep of dependents.get(e.id) ?? []) visit(dep)
      state.set(e.id, 'done')
      out.push(e)
    }
    for (const e of entries) visit(e)
    return out
  }

  /** Drains one actor (what the system thread and the workers queued for it), then stops it. */
  async #stopOne(entry: Entry, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    const left = (): number => Math.max(1, deadline - Date.now())
    const timeout = <T>(p: Promise<T>): Promise<T | 'timeout'> => {
      let timer: NodeJS.Timeout
      return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left())))]).finally(() =>
        clearTimeout(timer),
      )
    }
    // Peers first: each worker flushes what it queued for this actor.
    const peers = [...this.#actors.values()].filter((e) => e.worker !== undefined && e.worker.status === 'running' && e.id !== entry.id)
    if (entry.worker !== undefined) {
      if ((await timeout(Promise.all(peers.map((p) => p.worker!.request((cid) => ({ k: 'idle-to', cid, id: entry.id }), left()))))) === 'timeout') return false
      if ((await timeout(entry.worker.link.idle())) === 'timeout') return false
      const ok = await entry.worker.stop(left())
      entry.stoppedStats = await this.#finalStats(entry)
      this.#broadcast(entry.id, { k: 'peer-gone', id: entry.id })
      this.#emit({ type: 'actor.stopped', actor: entry.id })
      return ok
    }
    const inline = entry.inline!
    if (inline.closed) return true
    if ((await timeout(Promise.all(peers.map((p) => p.worker!.request((cid) => ({ k: 'idle-to', cid, id: MAIN }), left()))))) === 'timeout') return false
    if ((await timeout(inline.idle())) === 'timeout') return false
    const finished = await timeout(inline.host.stop(left()))
    inline.close()
    entry.stoppedStats = await this.#finalStats(entry)
    this.#broadcast(entry.id, { k: 'dir', id: entry.id, where: 'gone' })
    this.#emit({ type: 'actor.stopped', actor: entry.id })
    return finished === true
  }

  async #finalStats(entry: Entry): Promise<ActorStats> {
    const s = await this.#liveStats(entry)
    const w = entry.worker
    if (w?.finalStats !== undefined) {
      s.handled = w.finalStats.cell.handled
      s.invalid = w.finalStats.cell.invalid
      s.rejected = this.#rejectedTotal(entry) + w.finalStats.cell.refused
    }
    s.status = w?.status === 'escalated' || entry.inline?.host.status === 'escalated' ? 'escalated' : 'stopped'
    return s
  }

  /** Stops intake, drains in dependency order, runs exit work, ends every worker. Idempotent. */
  shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    this.#shutdown ??= this.#doShutdown(options.drainTimeoutMs ?? 5000)
    return this.#shutdown
  }

  async #doShutdown(drainTimeoutMs: number): Promise<ShutdownReport> {
    const started = Date.now()
    const deadline = started + drainTimeoutMs
    this.#stopping = true
    const stopped: string[] = []
    let hung: string | undefined
    const undelivered: Record<string, number> = {}
    for (const entry of this.#shutdownOrder()) {
      const alreadyDown = entry.stoppedStats !== undefined
      if (alreadyDown) continue
      const ok = await this.#stopOne(entry, Math.max(1, deadline - Date.now()))
      if (!ok) {
        hung = entry.id
        break
      }
      stopped.push(entry.id)
    }
    if (hung !== undefined) {
      for (const e of this.#actors.values()) {
        if (stopped.includes(e.id) || (e.stoppedStats !== undefined && e.id !== hung)) continue
        const left = e.inline !== undefined ? e.inline.ring.length : e.worker!.link.ring.length + e.worker!.link.inFlight
        if (left > 0) undelivered[e.id] = left
        if (e.inline !== undefined) {
          e.inline.close()
          void e.inline.host.stop(0)
        } else await e.worker!.terminate()
        e.stoppedStats ??= await this.#finalStats(e)
      }
      this.#log.warn({ actor: hung, count: Object.values(undelivered).reduce((a, b) => a + b, 0) }, 'shutdown timed out')
    }
    this.#asks.failAll((actor) => new SystemShutDownError(`ask to ${actor}`))
    await this.#compute.destroy()
    const undeliveredTotal = Object.values(undelivered).reduce((a, b) => a + b, 0)
    return {
      clean: hung === undefined,
      stopped,
      ...(hung !== undefined ? { hung } : {}),
      undelivered,
      undeliveredTotal,
      elapsedMs: Date.now() - started,
    }
  }
}

export type { PersistedRecord }

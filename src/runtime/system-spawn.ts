/**
 * Spawning and placement: an inline actor runs in an ActorHost on the system thread behind an
 * InlineMailbox; a worker actor gets its own thread, driven from here by a WorkerProxy, with a
 * MessagePort pair to every other running worker, so worker actors talk directly. Also the two
 * ports the placements use to reach the system: the inline actors' Router and the WorkerProxyPort.
 */
// MessageChannel is Node's global (the same class as node:worker_threads'), which an inline agent need not load.
import type { MessagePort } from 'node:worker_threads'
import type { AnyStateMachine } from 'xstate'
import { createSeededRandom, hashLabel } from '../types/random.ts'
import { toWireError } from '../errors/cluster-error.ts'
import type { ReplyTo } from '../types/actor-env.ts'
import { ActorCrashedError, ActorEscalatedError, ActorStartError, DuplicateActorError, SystemShutDownError, UnknownActorError } from '../errors/runtime-errors.ts'
import { actorLogger } from '../logging/root-logger.ts'
import { ActorHost } from './actor-host.ts'
import type { ActorDefinition } from './define-actor.ts'
import { asksOf, createEnv, type Router } from './env.ts'
import { EventHub } from './event-hub.ts'
import { K, type LinkPolicy } from './frames.ts'
import { InlineMailbox } from './inline-mailbox.ts'
import { createMailboxOptions, createSupervisionOptions, createWorkerLimits } from './options.ts'
import type { Inspection } from './system-inspection.ts'
import { makeRef } from './system-refs.ts'
import { stopOne } from './system-shutdown.ts'
import type { Entry, SystemCore } from './system-core.ts'
import type { ActorRef, Placement, SpawnOptions } from './types.ts'
import { WorkerProxy, type WorkerProxyPort } from './worker-proxy.ts'

/** What spawning needs besides the core: the inspection fan-out and the two system ports. */
export interface SpawnContext {
  core: SystemCore
  inspection: Inspection
  router: Router
  port: WorkerProxyPort
}

/** How inline actors' envs reach the system thread's routing. */
export function inlineRouter(core: SystemCore): Router {
  return {
    send: (from, to, msg) => core.route(from, to, msg),
    whenReady: (to) => {
      const e = core.actors.get(to)
      return e === undefined ? Promise.resolve() : e.ref.ready()
    },
    capacity: (to) => core.actors.get(to)?.mailbox.capacity ?? 0,
    reply: (token, value) => core.reply(token, value, undefined),
    fail: (token, error) => core.reply(token, undefined, error),
    compute: core.compute,
  }
}

/** What a WorkerProxy needs from its system. */
export function workerProxyPort(core: SystemCore, inspection: Inspection): WorkerProxyPort {
  return {
    node: core.node,
    seed: core.seed,
    logLevel: core.logLevel,
    logLinesPerSecond: core.logSink === undefined ? undefined : core.logLinesPerSecond,
    codeCache: core.codeCache,
    logLines: (id, lines, dropped) => core.logLines(id, lines, dropped),
    asks: core.asks,
    compute: core.compute,
    mainPolicy: { capacity: core.mailbox.capacity, overflow: 'backpressure', backpressureCeiling: 64 },
    inspecting: () => inspection.active,
    emit: (e) => core.emit(e),
    inspected: (events) => inspection.forward(events),
    persisted: (id, record) => core.store.save(id, record),
    loadPersisted: (id) => core.store.load(id),
    connectPeers: (id) => connectPeers(core, id),
    peerDown: (id) => core.broadcast(id, { k: K.peerDown, id }),
    inlineIds: () => [...core.actors.values()].filter((e) => e.placement === 'inline' && e.inline?.closed === false).map((e) => e.id),
    routeToInline: (from, to, msg) => core.routeFromWorker(from, to, msg),
    displaced: (to, item) => core.displaced(to, item),
    replyToInline: (to, cid, value, error) => core.reply({ to, cid } as ReplyTo<unknown>, value, error),
    targetFailed: (id, error) => core.failEnvAsksOn(id, error),
    gone: (id) => core.broadcast(id, { k: K.peerGone, id }),
    goneIds: () => [...core.actors.values()].filter((e) => e.stoppedStats !== undefined || e.inline?.closed === true || e.worker?.status === 'escalated' || e.worker?.status === 'stopped').map((e) => e.id),
    overflowReported: (to, kind, count, fromWorker) => core.overflow(to, kind, count, fromWorker),
    refusedReported: (count) => void (core.refused += count),
    unsendable: (to, item, err) => core.unsendable(to, item, err),
  }
}

/** Spawns an actor; resolves when it runs (its worker answered the handshake). */
export async function spawnActor(ctx: SpawnContext, def: ActorDefinition<AnyStateMachine>, options: SpawnOptions<AnyStateMachine>): Promise<ActorRef<AnyStateMachine>> {
  const core = ctx.core
  if (core.stopping) throw new SystemShutDownError('spawn')
  const id = options.id
  if (typeof id !== 'string' || id.length === 0 || id.startsWith('$')) throw new UnknownActorError(String(id), { details: { reason: 'invalid id' } })
  if (core.actors.has(id)) throw new DuplicateActorError(id)
  const placement: Placement = options.placement ?? 'worker'
  const mailbox = createMailboxOptions({ ...core.mailbox, ...def.mailbox, ...options.mailbox })
  const supervision = createSupervisionOptions({ ...core.supervision, ...def.supervision, ...options.supervision })
  const workerLimits = createWorkerLimits({ ...core.workerLimits, ...options.workerLimits })
  const entry: Entry = {
    id,
    definition: def,
    placement,
    mailbox,
    dependsOn: options.dependsOn ?? [],
    order: core.spawned++,
    inline: undefined,
    worker: undefined,
    reported: { dropped: 0, rejected: 0 },
    unannounced: new Map(),
    asks: undefined,
    stoppedStats: undefined,
    ref: undefined as unknown as ActorRef<AnyStateMachine>,
    events: undefined as unknown as EventHub,
    logLinesDropped: 0,
  }
  entry.events = new EventHub(id, core.log, (types) => forwardEmitted(entry, types))
  entry.ref = makeRef(core, entry, (e) => stopOne(core, e, 5000).then(() => undefined))
  core.actors.set(id, entry)
  try {
    if (placement === 'inline') {
      try {
        startInline(ctx, entry, options)
      } catch (err) {
        throw new ActorStartError(id, toWireError(err).message, { cause: err })
      }
    } else {
      const w = new WorkerProxy(ctx.port, id, def, options.input, mailbox, supervision, workerLimits, entry.events)
      entry.worker = w
      await w.start(def.persist === undefined ? undefined : core.store.load(id))
    }
  } catch (err) {
    core.actors.delete(id)
    await entry.worker?.terminate()
    throw err
  }
  if (placement === 'inline') {
    core.broadcast(id, { k: K.dir, id, where: 'main' })
    core.emit({ type: 'actor.started', actor: id, placement, restarts: 0, restored: entry.inline!.host.lastPersisted !== undefined })
  }
  return entry.ref
}

function startInline(ctx: SpawnContext, entry: Entry, options: SpawnOptions<AnyStateMachine>): void {
  const core = ctx.core
  const id = entry.id
  const env = createEnv({
    id,
    node: core.node,
    clock: core.clock,
    random: createSeededRandom((core.seed ^ hashLabel(id)) >>> 0),
    log: actorLogger(core.log, id),
    router: ctx.router,
  })
  entry.asks = asksOf(env)
  let inline: InlineMailbox | undefined
  let turnQueued = false
  const implementations = { ...(options.provide ? { provide: options.provide } : {}), ...(options.onStop ? { onStop: options.onStop } : {}) }
  const host = new ActorHost({
    definition: entry.definition,
    env,
    implementations,
    input: options.input,
    supervision: createSupervisionOptions({ ...core.supervision, ...entry.definition.supervision, ...options.supervision }),
    restoreFrom: entry.definition.persist === undefined ? undefined : core.store.load(id),
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
        const asksFailed = core.asks.failActor(id, () => new ActorCrashedError(id, error.message))
        core.failEnvAsksOn(id, new ActorCrashedError(id, error.message))
        core.emit({ type: 'actor.crashed', actor: id, error, asksFailed, lost: 0 })
      },
      restarted: (restarts, restored) => core.emit({ type: 'actor.started', actor: id, placement: 'inline', restarts, restored }),
      escalated: (error, restarts) => {
        core.failEnvAsksOn(id, new ActorEscalatedError(id, restarts))
        core.emit({ type: 'actor.escalated', actor: id, error, restarts })
        core.emit({ type: 'system.error', error })
        entry.events.close()
      },
      invalid: (error, messageType) => core.emit({ type: 'message.invalid', actor: id, error, messageType }),
      persisted: (record) => core.store.save(id, record),
    },
  })
  inline = new InlineMailbox(host, entry.mailbox, (kind, dropped) => {
    core.overflow(id, kind, 1)
    if (dropped !== undefined) core.displaced(id, dropped)
  })
  entry.inline = inline
  if (ctx.inspection.active) host.setInspector(ctx.inspection.inline)
}

/**
 * Tells the actor which emitted event types to forward, in order with what the system thread sent
 * before: an inline actor's host switches when its mailbox reaches this point, a worker's when the
 * link item arrives (a restarted thread gets the current set in its boot data).
 */
function forwardEmitted(entry: Entry, types: string[]): void {
  const inline = entry.inline
  if (inline !== undefined) {
    if (!inline.closed) inline.enqueueCall(() => inline.host.setEmitted(types, (e) => entry.events.deliver(e)))
  } else if (entry.worker !== undefined && !entry.worker.link.closed) entry.worker.link.force({ k: K.emits, types })
}

/** Creates a channel between a (re)starting worker and every other running worker; returns its ends. */
function connectPeers(core: SystemCore, id: string): { id: string; port: MessagePort; mailbox: LinkPolicy }[] {
  const mine: { id: string; port: MessagePort; mailbox: LinkPolicy }[] = []
  const self = core.actors.get(id)
  for (const e of core.actors.values()) {
    const w = e.worker
    // Running or starting (a concurrent spawn): a starting worker reads its control queue once up.
    if (e.id === id || w === undefined || w.worker === undefined || (w.status !== 'running' && w.status !== 'starting')) continue
    const { port1, port2 } = new MessageChannel()
    mine.push({ id: e.id, port: port1, mailbox: e.mailbox })
    w.post({ k: K.peer, id, port: port2, mailbox: self!.mailbox }, [port2])
  }
  return mine
}

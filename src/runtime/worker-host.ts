/**
 * hostActor: the worker-thread side of an actor. An actor's worker.ts calls it once with the
 * definition and the real implementations; it builds the env (real clock, seeded random, pino
 * child, links to the system thread and to every peer worker), runs the machine in an ActorHost,
 * and answers the system thread's control messages (directory, inspection, stats, stop).
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads'
import type { AnyStateMachine } from 'xstate'
import type { ComputePort, Message, ReplyTo, SendStatus } from '../types/actor-env.ts'
import { createSeededRandom, hashLabel } from '../types/random.ts'
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import { ActorStoppedError, InvalidMessageError, MailboxFullError, runtimeErrorFromWire } from '../errors/runtime-errors.ts'
import { actorLogger, rootLogger } from '../logging/root-logger.ts'
import { ActorHost } from './actor-host.ts'
import type { ActorDefinition, ActorImplementations } from './define-actor.ts'
import { asksOf, createEnv, realClock, type Router } from './env.ts'
import { F_EMITS, F_INSPECT, F_REPLY, F_ROUTED, F_SNAPSHOT, F_WATCH, type CellStats, type LinkPolicy, type MainToWorker, type WorkerToMain } from './frames.ts'
import { Link, type OverflowKind } from './link.ts'
import { requestOf } from './mailbox-policy.ts'
import type { PersistedRecord, SupervisionOptions } from './options.ts'

/** What the system thread passes in workerData. */
export interface WorkerBoot {
  __gossamer: 1
  __entry?: string
  id: string
  node: string
  seed: number
  logLevel: string
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

export function hostActor<M extends AnyStateMachine>(definition: ActorDefinition<M>, implementations: ActorImplementations<M> = {}): void {
  const boot = workerData as WorkerBoot | undefined
  if (isMainThread || parentPort === null || boot?.__gossamer !== 1) {
    throw new Error(`hostActor(${definition.name}) must run in a worker started by ActorSystem.spawn`)
  }
  startWorkerHost(definition, implementations, boot, parentPort)
}

function startWorkerHost<M extends AnyStateMachine>(
  definition: ActorDefinition<M>,
  implementations: ActorImplementations<M>,
  boot: WorkerBoot,
  control: NonNullable<typeof parentPort>,
): void {
  const post = (m: WorkerToMain): void => control.postMessage(m)
  const id = boot.id
  const log = actorLogger(rootLogger({ node: boot.node, level: boot.logLevel }), id)
  const links = new Map<string, Link>()
  const inline = new Set(boot.inline)
  const gone = new Set<string>(boot.gone)
  let watching = boot.watch
  let inspectBuf: unknown[] | undefined
  let host: ActorHost<M> | undefined

  // Drops and undeliverable sends are reported to the system thread once per turn, summed.
  const overflow = new Map<string, { policy: OverflowKind; count: number }>()
  const undeliverable = new Map<string, { to: string; reason: 'unknown' | 'stopped'; messageType: string; count: number }>()
  let turnQueued = false
  const turnEnd = (): void => {
    turnQueued = false
    if (host !== undefined) {
      const changed = host.endTurn()
      if (changed && watching && host.status === 'running') post({ k: 'snapshot', digest: host.digest() })
    }
    if (inspectBuf !== undefined && inspectBuf.length > 0) {
      post({ k: 'inspect', events: inspectBuf })
      inspectBuf = []
    }
    for (const [key, o] of overflow) post({ k: 'overflow', to: key.slice(key.indexOf('\u0000') + 1), policy: o.policy, count: o.count })
    overflow.clear()
    for (const u of undeliverable.values()) post({ k: 'undeliverable', ...u })
    undeliverable.clear()
  }
  const requestTurn = (): void => {
    if (!turnQueued) {
      turnQueued = true
      setImmediate(turnEnd)
    }
  }
  const onOverflowTo = (to: string) => (kind: OverflowKind, dropped?: unknown) => {
    const key = `${kind}\u0000${to}`
    const o = overflow.get(key)
    if (o === undefined) overflow.set(key, { policy: kind, count: 1 })
    else o.count++
    requestTurn()
    // A request displaced from the mailbox (drop-oldest) fails its ask now, not at its timeout.
    const token = dropped === undefined ? undefined : requestOf(dropped)
    if (token !== undefined) {
      const target = to === '$main' ? String((dropped as { to?: unknown }).to) : to
      sendReply(token, undefined, toWireError(new MailboxFullError(target, links.get(to)?.policy.capacity ?? boot.mainPolicy.capacity)))
    }
  }

  const onItem = (item: unknown): void => {
    const msg = item as { type?: unknown; k?: unknown; c?: number }
    if (typeof msg.type === 'string') {
      if (host !== undefined) host.deliver(msg as Message)
    } else if (msg.k === F_REPLY) {
      // A reply to an ask this actor made (env.ask).
      const r = msg as { c: number; v?: unknown; e?: WireError }
      if (r.e !== undefined) asks.reject(r.c, r.e)
      else asks.resolve(r.c, r.v)
    } else if (msg.k === F_SNAPSHOT && host !== undefined) {
      mainLink.force({ k: F_REPLY, c: msg.c, v: host.digest() })
    } else if (msg.k === F_INSPECT && host !== undefined) {
      host.setInspector((msg as { on: boolean }).on ? inspector : undefined)
    } else if (msg.k === F_EMITS && host !== undefined) {
      const types = (msg as { types: string[] }).types
      host.setEmitted(types, emitSink)
    } else if (msg.k === F_WATCH && host !== undefined) {
      watching = (msg as { on: boolean }).on
      host.setWatched(watching)
      if (watching) post({ k: 'snapshot', digest: host.digest() })
    }
  }
  const onBatchEnd = (): void => host?.checkpoint()
  const onUnsendable = (peer: string) => (item: unknown, err: unknown) => {
    const it = item as { type?: unknown; k?: number; c?: number; to?: string; m?: { type?: unknown; replyTo?: ReplyTo<unknown> }; replyTo?: ReplyTo<unknown> }
    const type = String(it?.type ?? it?.m?.type ?? `reply to ask ${String(it?.c)}`)
    const error = toWireError(new InvalidMessageError(peer, type, `cannot be sent to another thread: ${toWireError(err).message}`))
    // A reply that cannot travel still answers its ask, with the error.
    if (it?.k === F_REPLY) sendReply({ to: it.to ?? peer, cid: it.c! } as ReplyTo<unknown>, undefined, error)
    // An ask whose request cannot travel fails at once instead of timing out.
    const replyTo = it?.replyTo ?? it?.m?.replyTo
    if (replyTo !== undefined && replyTo !== null && typeof replyTo === 'object') sendReply(replyTo, undefined, error)
    post({ k: 'invalid', error, messageType: type })
  }
  const receiveWindow = boot.mailbox.capacity
  const handlers = (peer: string) => ({ onItem, onOverflow: onOverflowTo(peer), onBatchEnd, onUnsendable: onUnsendable(peer), receiveWindow })
  const mainLink = new Link(boot.mainPort, boot.mainPolicy, handlers('$main'))
  for (const p of boot.peers) links.set(p.id, new Link(p.port, p.mailbox, handlers(p.id)))

  let computeSeq = 0
  const computeWaiters = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  const compute: ComputePort = {
    run<I, O>(task: { module: string; name: string }, input: I, options: { signal?: AbortSignal } = {}): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        const cid = ++computeSeq
        const signal = options.signal
        if (signal?.aborted) {
          reject(signal.reason)
          return
        }
        const onAbort = (): void => {
          computeWaiters.delete(cid)
          reject(signal!.reason)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        computeWaiters.set(cid, {
          resolve: (v) => {
            signal?.removeEventListener('abort', onAbort)
            resolve(v as O)
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort)
            reject(e)
          },
        })
        post({ k: 'compute', cid, module: task.module, name: task.name, input })
      })
    },
  }

  const noteUndeliverable = (to: string, reason: 'unknown' | 'stopped', type: string, count = 1): void => {
    const key = `${reason}\u0000${to}\u0000${type}`
    const u = undeliverable.get(key)
    if (u === undefined) undeliverable.set(key, { to, reason, messageType: type, count })
    else u.count += count
    requestTurn()
  }

  /** Sends a reply to whoever waits: the system thread, a peer worker, an inline actor (through the system thread) or this actor itself. */
  const sendReply = (token: ReplyTo<unknown>, value: unknown, error: WireError | undefined): void => {
    if (token.to === id) {
      if (error !== undefined) queueMicrotask(() => asks.reject(token.cid, error))
      else queueMicrotask(() => asks.resolve(token.cid, value))
      return
    }
    const frame: { k: typeof F_REPLY; c: number; v?: unknown; e?: WireError; to?: string } = error !== undefined ? { k: F_REPLY, c: token.cid, e: error } : { k: F_REPLY, c: token.cid, v: value }
    if (token.to === '$main') mainLink.force(frame)
    else if (links.has(token.to)) links.get(token.to)!.force(frame)
    else if (inline.has(token.to)) {
      frame.to = token.to
      mainLink.force(frame)
    }
  }
  const router: Router = {
    send(_from: string, to: string, msg: Message): SendStatus {
      if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
        post({ k: 'invalid', error: toWireError(new InvalidMessageError(to, String((msg as { type?: unknown } | null)?.type), 'a message must be an object with a string type')), messageType: String((msg as { type?: unknown } | null)?.type) })
        return 'rejected'
      }
      const link = links.get(to)
      if (link !== undefined) return link.send(msg)
      if (inline.has(to)) return mainLink.send({ k: F_ROUTED, to, m: msg })
      if (to === id && host !== undefined) {
        // Sending to oneself: through a microtask, like any other send.
        queueMicrotask(() => host?.deliver(msg))
        return 'ok'
      }
      const reason = gone.has(to) ? 'stopped' : 'unknown'
      noteUndeliverable(to, reason, String(msg?.type))
      return reason
    },
    whenReady(to: string): Promise<void> {
      const link = links.get(to) ?? (inline.has(to) ? mainLink : undefined)
      return link === undefined ? Promise.resolve() : link.ready()
    },
    capacity: (to: string) => links.get(to)?.policy.capacity ?? (inline.has(to) ? boot.mainPolicy.capacity : 0),
    reply(token, value) {
      sendReply(token, value, undefined)
    },
    fail(token, error: WireError) {
      sendReply(token, undefined, error)
    },
    compute,
  }

  const env = createEnv({
    id,
    node: boot.node,
    clock: realClock,
    random: createSeededRandom((boot.seed ^ hashLabel(id)) >>> 0),
    log,
    router,
    // Each thread start has its own restart count: a new thread's correlation ids differ from
    // the ones its predecessor's late replies carry.
    epoch: boot.restarts,
  })
  // This actor's own pending asks (env.ask): replies addressed to it settle them.
  const asks = asksOf(env)!

  const inspector = (actor: string, event: string, state: unknown): void => {
    ;(inspectBuf ??= []).push({ actor, event, state, at: realClock.now(), placement: 'worker' })
    requestTurn()
  }

  /**
   * Forwards one emitted event to the system thread, cloned now (the machine may change what it
   * references later in the turn). One that cannot be cloned is counted there and logged here.
   */
  const emitSink = (event: { type: string }): void => {
    try {
      control.postMessage({ k: 'emitted', event } satisfies WorkerToMain)
    } catch (err) {
      const eventType = String(event?.type)
      const error = toWireError(new InvalidMessageError(id, eventType, `emitted event cannot be sent to another thread: ${toWireError(err).message}`))
      log.warn({ err: error, eventType }, 'emitted event not forwarded')
      post({ k: 'emit-uncloneable', eventType, error })
    }
  }

  try {
    host = new ActorHost({
      definition,
      env,
      implementations,
      input: boot.input,
      supervision: boot.supervision,
      restoreFrom: boot.restore,
      restarts: boot.restarts,
      requestTurn,
      // Peers keep sending while the machine restarts: hold a bounded number, refuse the rest.
      holdLimit: boot.mailbox.capacity * boot.mailbox.backpressureCeiling,
      events: {
        crashed: (error) => post({ k: 'crashed', error }),
        restarted: (restarts, restored) => post({ k: 'restarted', restarts, restored }),
        escalated: (error, restarts) => post({ k: 'escalated', error, restarts }),
        invalid: (error, messageType) => post({ k: 'invalid', error, messageType }),
        persisted: (record) => post({ k: 'persist', snapshot: record.snapshot, at: record.at }),
      },
    })
  } catch (err) {
    post({ k: 'start-failed', error: toWireError(err) })
    mainLink.close()
    for (const l of links.values()) l.close()
    return
  }
  if (boot.inspect) host.setInspector(inspector)
  if (boot.watch) host.setWatched(true)
  if (boot.emits.length > 0) host.setEmitted(boot.emits, emitSink)

  const cellStats = (): CellStats => ({ handled: host!.handled, invalid: host!.invalid, refused: host!.refused, lateReplies: asks.late })

  const stop = async (timeoutMs: number): Promise<void> => {
    const h = host!
    const finished = await h.stop(timeoutMs)
    // Let what exit work sent reach its targets (bounded by the same timeout).
    const outgoing = [...links.values(), mainLink].map((l) => l.idle())
    await Promise.race([Promise.all(outgoing), new Promise((r) => setTimeout(r, timeoutMs).unref())])
    turnEnd()
    const linkStats: Record<string, ReturnType<Link['stats']>> = {}
    for (const [peer, l] of links) linkStats[peer] = l.stats()
    post({ k: 'stopped', finished, stats: cellStats(), links: linkStats, ...(h.exit !== undefined ? { exit: h.exit } : {}) })
    mainLink.close()
    for (const l of links.values()) l.close()
    control.off('message', onControl)
  }

  /**
   * `target` is gone for good: later sends report `stopped`, and asks still waiting on it fail now
   * (their requests were posted to a thread that will not answer), whatever else the system
   * thread reports about it and in whatever order the two ports deliver.
   */
  const markGone = (target: string): void => {
    gone.add(target)
    asks.failActor(target, () => new ActorStoppedError(target))
  }

  const onControl = (m: MainToWorker): void => {
    switch (m.k) {
      case 'peer': {
        const existing = links.get(m.id)
        gone.delete(m.id)
        if (existing !== undefined && !existing.closed) {
          existing.policy = m.mailbox
          existing.attach(m.port)
        } else links.set(m.id, new Link(m.port, m.mailbox, handlers(m.id)))
        break
      }
      case 'peer-down':
        links.get(m.id)?.markDown()
        break
      case 'peer-gone': {
        const l = links.get(m.id)
        if (l !== undefined) {
          // Messages still queued for the stopped peer never reach it: reported, counted.
          const before = l.lost
          l.close()
          if (l.lost > before) noteUndeliverable(m.id, 'stopped', '(queued)', l.lost - before)
        }
        links.delete(m.id)
        inline.delete(m.id)
        markGone(m.id)
        break
      }
      case 'dir':
        if (m.where === 'main') {
          inline.add(m.id)
          gone.delete(m.id)
        } else {
          inline.delete(m.id)
          markGone(m.id)
        }
        break
      case 'inspect':
        host!.setInspector(m.on ? inspector : undefined)
        break
      case 'watch':
        watching = m.on
        if (m.on) post({ k: 'snapshot', digest: host!.digest() })
        break
      case 'stats': {
        const linkStats: Record<string, ReturnType<Link['stats']>> = {}
        for (const [peer, l] of links) linkStats[peer] = l.stats()
        post({ k: 'stats', cid: m.cid, stats: cellStats(), links: linkStats })
        break
      }
      case 'idle-to': {
        const l = links.get(m.id)
        if (l === undefined) post({ k: 'idle-to', cid: m.cid })
        else void l.idle().then(() => post({ k: 'idle-to', cid: m.cid }))
        break
      }
      case 'stop':
        void stop(m.timeoutMs)
        break
      case 'asks-fail':
        asks.failActor(m.id, () => runtimeErrorFromWire(m.error))
        break
      case 'compute-done': {
        const w = computeWaiters.get(m.cid)
        computeWaiters.delete(m.cid)
        if (w !== undefined) {
          if (m.error !== undefined) w.reject(runtimeErrorFromWire(m.error))
          else w.resolve(m.value)
        }
        break
      }
    }
  }
  control.on('message', onControl)
  post({ k: 'started', restored: host.lastPersisted !== undefined && boot.restore !== undefined })
}

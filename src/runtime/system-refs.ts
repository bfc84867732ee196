/**
 * The system thread's side of an ActorRef: tell, ask (correlation ids in the AskTable), digests
 * for subscribers, snapshot reads queued behind earlier messages, and counters (fetched from a
 * worker's thread, or kept once the actor stopped).
 */
import type { AnyStateMachine } from 'xstate'
import type { ActorId } from '../types/ids.ts'
import type { Message, SendStatus } from '../types/actor-env.ts'
import { ActorStoppedError, AskAbortedError, InvalidMessageError, MailboxFullError, SystemShutDownError } from '../errors/runtime-errors.ts'
import { K } from './frames.ts'
import { MAIN, type Entry, type SystemCore } from './system-core.ts'
import { askTimeoutProblem } from './ask-table.ts'
import { createEventStreamConfig } from './event-stream-options.ts'
import type { ActorRef, ActorSnapshot, ActorStats, AskOptions, Unsubscribe } from './types.ts'

/** Builds the ref of an entry; `stop` drains and stops the actor (system-shutdown.ts). */
export function makeRef(core: SystemCore, entry: Entry, stop: (entry: Entry) => Promise<void>): ActorRef<AnyStateMachine> {
  const id = entry.id
  const ref = {
    id: id as ActorId,
    placement: entry.placement,
    send(msg: Message): SendStatus {
      if (core.stopping) {
        core.refused++
        return 'stopped'
      }
      return core.route(MAIN, id, msg)
    },
    ask(msg: Message, options?: AskOptions): Promise<unknown> {
      return ask(core, entry, msg, options)
    },
    subscribe(listener: (s: ActorSnapshot) => void): Unsubscribe {
      return watch(entry, listener)
    },
    getSnapshot(): Promise<ActorSnapshot> {
      return getSnapshot(core, entry)
    },
    ready(): Promise<void> {
      return entry.inline !== undefined ? entry.inline.ready() : entry.worker!.link.ready()
    },
    stats(): Promise<ActorStats> {
      return stats(core, entry)
    },
    stop(): Promise<void> {
      return stop(entry)
    },
    on(type: string, handler: (e: { type: string }) => void): Unsubscribe {
      return entry.events.on(type, handler)
    },
    events(types?: string | readonly string[], options?: { signal?: AbortSignal; bufferSize?: number }) {
      return entry.events.stream(createEventStreamConfig(types, options))
    },
  }
  return ref as unknown as ActorRef<AnyStateMachine>
}

/** One ask from the system thread (options absent on the common path: no object built for them). */
function ask(core: SystemCore, entry: Entry, msg: Message, options: AskOptions | undefined): Promise<unknown> {
  const type = String((msg as { type?: unknown })?.type)
  if (core.stopping) return Promise.reject(new SystemShutDownError(`ask ${type}`))
  if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
    return Promise.reject(new InvalidMessageError(entry.id, type, 'a message must be an object with a string type'))
  }
  const timeoutMs = options?.timeoutMs ?? core.askTimeoutMs
  const problem = askTimeoutProblem(timeoutMs)
  if (problem !== undefined) return Promise.reject(new InvalidMessageError(entry.id, type, problem))
  const signal = options?.signal
  if (signal?.aborted) return Promise.reject(new AskAbortedError(entry.id, type, { cause: signal.reason }))
  const { cid, promise } = core.asks.open(entry.id, type, timeoutMs, signal)
  const status = core.route(MAIN, entry.id, Object.assign({}, msg, { replyTo: { to: MAIN, cid } }) as Message)
  if (status === 'rejected') core.asks.reject(cid, new MailboxFullError(entry.id, entry.mailbox.capacity))
  else if (status === 'stopped') core.asks.reject(cid, new ActorStoppedError(entry.id))
  return promise
}

function watch(entry: Entry, listener: (s: ActorSnapshot) => void): Unsubscribe {
  const set = entry.inline?.watchers ?? entry.worker!.watchers
  const first = set.size === 0
  set.add(listener)
  if (first && entry.worker !== undefined) entry.worker.link.force({ k: K.watch, on: true })
  if (first && entry.inline !== undefined) entry.inline.host.setWatched(true)
  return () => {
    set.delete(listener)
    if (set.size === 0 && entry.worker !== undefined) entry.worker.link.force({ k: K.watch, on: false })
    if (set.size === 0 && entry.inline !== undefined) entry.inline.host.setWatched(false)
  }
}

/** The actor's snapshot digest, after what the system thread sent it before this call. */
export function getSnapshot(core: SystemCore, entry: Entry): Promise<ActorSnapshot> {
  if (entry.inline !== undefined) {
    const inline = entry.inline
    if (inline.closed) return Promise.resolve(structuredClone(inline.host.digest()))
    return new Promise((resolve) => inline.enqueueCall(() => resolve(structuredClone(inline.host.digest()))))
  }
  const w = entry.worker!
  if (w.status !== 'running' && w.status !== 'restarting') return Promise.reject(new ActorStoppedError(entry.id))
  const { cid, promise } = core.asks.open(entry.id, 'getSnapshot', core.askTimeoutMs, undefined)
  w.link.force({ k: K.snapshot, c: cid })
  return promise as Promise<ActorSnapshot>
}

export async function stats(core: SystemCore, entry: Entry): Promise<ActorStats> {
  if (entry.stoppedStats !== undefined) return { ...entry.stoppedStats }
  return liveStats(core, entry)
}

async function liveStats(core: SystemCore, entry: Entry): Promise<ActorStats> {
  const base = { id: entry.id, placement: entry.placement, dropped: core.droppedTotal(entry), rejected: core.rejectedTotal(entry) }
  if (entry.inline !== undefined) {
    const h = entry.inline.host
    return {
      ...base,
      status: entry.inline.closed ? (h.status === 'escalated' ? 'escalated' : 'stopped') : h.status,
      handled: h.delivery.handled,
      invalid: h.delivery.invalid,
      lost: entry.inline.lost,
      restarts: h.restarts,
      queued: entry.inline.ring.length,
      rejected: base.rejected + h.delivery.refused,
      lateReplies: entry.asks?.late ?? 0,
      events: { ...entry.events.stats },
      logLinesDropped: entry.logLinesDropped,
    }
  }
  const w = entry.worker!
  const answer = await w.request((cid) => ({ k: K.statsOf, cid }), 2000)
  const cell = answer?.k === K.stats ? answer.stats : w.finalStats?.cell
  return {
    ...base,
    status: w.status,
    handled: cell?.handled ?? w.link.acked,
    invalid: cell?.invalid ?? 0,
    rejected: base.rejected + (cell?.refused ?? 0),
    lost: w.link.lost,
    restarts: w.restarts,
    queued: w.link.ring.length + w.link.inFlight,
    lateReplies: cell?.lateReplies ?? 0,
    events: { ...entry.events.stats },
    logLinesDropped: entry.logLinesDropped,
  }
}

/** Counters of an actor that just stopped (kept in the entry from then on). */
export async function finalStats(core: SystemCore, entry: Entry): Promise<ActorStats> {
  const s = await liveStats(core, entry)
  const w = entry.worker
  if (w?.finalStats !== undefined) {
    s.handled = w.finalStats.cell.handled
    s.invalid = w.finalStats.cell.invalid
    s.rejected = core.rejectedTotal(entry) + w.finalStats.cell.refused
    s.lateReplies = w.finalStats.cell.lateReplies
  }
  s.status = w?.status === 'escalated' || entry.inline?.host.status === 'escalated' ? 'escalated' : 'stopped'
  return s
}

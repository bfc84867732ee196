/**
 * Shutdown and drain: the dependency order (an actor before what it depends on, else newest
 * first), draining one actor (first what other workers queued for it, then what the system thread
 * queued, then its exit work), and the whole-system shutdown with its report: at the deadline it
 * names the actor that hung, counts what was left, and ends every thread; an actor that reports
 * an unclean exit (its definition's `exitReport`) makes the report unclean too.
 */
import { ActorStoppedError, SystemShutDownError } from '../errors/runtime-errors.ts'
import { K } from './frames.ts'
import { finalStats } from './system-refs.ts'
import { MAIN, type Entry, type SystemCore } from './system-core.ts'
import type { ActorExitReport, ShutdownReport } from './types.ts'

/** Shutdown order: an actor before everything it depends on; otherwise the newest first. */
export function shutdownOrder(core: SystemCore): Entry[] {
  const entries = [...core.actors.values()].sort((a, b) => b.order - a.order)
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
export async function stopOne(core: SystemCore, entry: Entry, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  const left = (): number => Math.max(1, deadline - Date.now())
  const timeout = <T>(p: Promise<T>): Promise<T | 'timeout'> => {
    let timer: NodeJS.Timeout
    return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left())))]).finally(() => clearTimeout(timer))
  }
  // An actor waiting out a restart backoff restarts now (and any crash from here on restarts at
  // once), so the drain below is not held up by a backoff.
  if (entry.worker !== undefined && (await timeout(entry.worker.expedite())) === 'timeout') return false
  entry.inline?.host.expedite()
  // Peers first: each worker flushes what it queued for this actor.
  const peers = [...core.actors.values()].filter((e) => e.worker !== undefined && e.worker.status === 'running' && e.id !== entry.id)
  if (entry.worker !== undefined) {
    if ((await timeout(Promise.all(peers.map((p) => p.worker!.request((cid) => ({ k: K.idleTo, cid, id: entry.id }), left()))))) === 'timeout') return false
    if ((await timeout(entry.worker.link.idle())) === 'timeout') return false
    const ok = await entry.worker.stop(left())
    entry.events.close()
    entry.stoppedStats = await finalStats(core, entry)
    core.broadcast(entry.id, { k: K.peerGone, id: entry.id })
    core.failEnvAsksOn(entry.id, new ActorStoppedError(entry.id))
    core.emit({ type: 'actor.stopped', actor: entry.id })
    return ok
  }
  const inline = entry.inline!
  if (inline.closed) return true
  if ((await timeout(Promise.all(peers.map((p) => p.worker!.request((cid) => ({ k: K.idleTo, cid, id: MAIN }), left()))))) === 'timeout') return false
  if ((await timeout(inline.idle())) === 'timeout') return false
  const finished = await timeout(inline.host.stop(left()))
  inline.close()
  entry.events.close()
  entry.stoppedStats = await finalStats(core, entry)
  core.broadcast(entry.id, { k: K.dir, id: entry.id, where: 'gone' })
  core.failEnvAsksOn(entry.id, new ActorStoppedError(entry.id))
  core.emit({ type: 'actor.stopped', actor: entry.id })
  return finished === true
}

/** Stops intake, drains in dependency order, runs exit work, ends every worker. */
export async function shutdownSystem(core: SystemCore, drainTimeoutMs: number): Promise<ShutdownReport> {
  const started = Date.now()
  const deadline = started + drainTimeoutMs
  core.stopping = true
  const stopped: string[] = []
  let hung: string | undefined
  const undelivered: Record<string, number> = {}
  for (const entry of shutdownOrder(core)) {
    const alreadyDown = entry.stoppedStats !== undefined
    if (alreadyDown) continue
    const ok = await stopOne(core, entry, Math.max(1, deadline - Date.now()))
    if (!ok) {
      hung = entry.id
      break
    }
    stopped.push(entry.id)
  }
  // What each stopped actor said of its own exit work: an unclean one makes the shutdown unclean.
  const exits: Record<string, ActorExitReport> = {}
  for (const e of core.actors.values()) {
    const exit = e.worker !== undefined ? e.worker.finalStats?.exit : e.inline?.host.exit
    if (exit !== undefined && !exit.clean) exits[e.id] = exit
  }
  const unclean = Object.keys(exits)
  if (unclean.length > 0) core.log.warn({ actors: unclean, exits }, 'shutdown: actors reported an unclean exit')
  if (hung !== undefined) {
    for (const e of core.actors.values()) {
      if (stopped.includes(e.id) || (e.stoppedStats !== undefined && e.id !== hung)) continue
      const left = e.inline !== undefined ? e.inline.ring.length : e.worker!.link.ring.length + e.worker!.link.inFlight
      if (left > 0) undelivered[e.id] = left
      if (e.inline !== undefined) {
        e.inline.close()
        void e.inline.host.stop(0)
      } else await e.worker!.terminate()
      e.events.close()
      e.stoppedStats ??= await finalStats(core, e)
    }
    core.log.warn({ actor: hung, count: Object.values(undelivered).reduce((a, b) => a + b, 0) }, 'shutdown timed out')
  }
  core.asks.failAll((actor) => new SystemShutDownError(`ask to ${actor}`))
  await core.compute.destroy()
  const undeliveredTotal = Object.values(undelivered).reduce((a, b) => a + b, 0)
  return {
    clean: hung === undefined && unclean.length === 0,
    stopped,
    ...(hung !== undefined ? { hung } : {}),
    undelivered,
    undeliveredTotal,
    exits,
    elapsedMs: Date.now() - started,
  }
}

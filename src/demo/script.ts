/**
 * The demo's script: start, joins, a user event, a leader (when the build has an election), a
 * crash seen as failed (and the leader changing), a restart and rejoin from the snapshot, a
 * graceful leave. Each step acts, then waits until every running node's own event stream shows
 * the outcome, and prints what happened with the times measured (ms on the demo's clock). A step
 * not seen before its deadline ends the script with the nodes that did and did not see it.
 */
import type { ClusterView } from './cluster-view.ts'
import { DEMO_GROUP, type DemoCluster } from './demo-cluster.ts'
import { castDemo, leaverBesides } from './cast.ts'
import type { DemoOptions } from './options.ts'

/**
 * How long a step may take to be seen by every node (ms): generous, for a loaded machine, and past
 * a push/pull (anti-entropy) round of the lan profile (30 s), which repairs a missed broadcast.
 */
export const STEP_DEADLINE_MS = 60_000
/** Failure detection is the slow step (probes, suspicion, gossip): its deadline (ms). */
export const FAILED_DEADLINE_MS = 90_000
/** The pause after each step without --fast, so the live page can be followed (ms). */
export const STEP_PAUSE_MS = 1_500

export interface ScriptDeps {
  now(): number
  /** Resolves after `ms`, or early when `signal` fires. */
  sleep(ms: number, signal: AbortSignal): Promise<void>
  /**
   * A step's deadline: `signal` fires `ms` from now unless `clear()` is called first. Not
   * AbortSignal.timeout: combined with AbortSignal.any, nothing holds it strongly, and a garbage
   * collected timeout signal never fires (the step would wait forever).
   */
  deadline(ms: number): { signal: AbortSignal; clear(): void }
  say(line: string): void
}

/** Why the script ended. */
export type ScriptEnd = { ok: true } | { ok: false; reason: 'interrupted' | 'not-seen' }

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/**
 * "first after 80 ms, last after 1.2 s (node-4)" from each observer's delay, or "after 80 ms"
 * when they all round to the same: the last one is named, it is where a broadcast was slow.
 */
function spread(delays: ReadonlyMap<string, number>): string {
  const sorted = [...delays].sort((a, b) => a[1] - b[1])
  const first = formatMs(sorted[0]![1])
  const [lastName, lastMs] = sorted.at(-1)!
  return first === formatMs(lastMs) ? `after ${first}` : `first after ${first}, last after ${formatMs(lastMs)} (${lastName})`
}

class StepNotSeen extends Error {}
class Interrupted extends Error {}

export async function playScript(cluster: DemoCluster, view: ClusterView, o: DemoOptions, signal: AbortSignal, deps: ScriptDeps): Promise<ScriptEnd> {
  const t0 = deps.now()
  const say = (step: string, text: string): void => {
    const at = ((deps.now() - t0) / 1000).toFixed(1).padStart(5)
    deps.say(`[${at} s] ${step.padEnd(8)} ${text}`)
  }
  const more = (text: string): void => deps.say(`${' '.repeat(19)}${text}`)
  const pause = async (): Promise<void> => {
    if (!o.fast) await deps.sleep(STEP_PAUSE_MS, signal)
    if (signal.aborted) throw new Interrupted()
  }
  /** Waits until `check` holds for every name in `who()`; on a deadline, says who did not see it. */
  const seenBy = async (what: string, who: () => string[], check: (observer: string) => boolean, deadlineMs: number): Promise<void> => {
    const deadline = deps.deadline(deadlineMs)
    let met: boolean
    try {
      met = await view.until(() => who().every(check), [signal, deadline.signal])
    } finally {
      deadline.clear()
    }
    if (met) return
    if (signal.aborted) throw new Interrupted()
    const missing = who().filter((n) => !check(n))
    say('NOT SEEN', `${what}: not seen by ${missing.join(', ')} after ${formatMs(deadlineMs)}`)
    throw new StepNotSeen()
  }
  const cast = castDemo(o.nodes, o.seed)
  const others = (besides: string): (() => string[]) => () => view.observers().filter((n) => n !== besides)
  const latest = (who: string[], at: (n: string) => number): number => Math.max(...who.map(at))

  try {
    // Start: the first node alone, then the others join it.
    let t = deps.now()
    const first = await cluster.start(cast.first, [], { inspect: true, candidate: false })
    const actors = Object.keys((await first.stats()).actors).sort()
    say('start', `${cast.first} is up at ${first.address} in ${formatMs(deps.now() - t)}`)
    more(`${actors.length} actors, each in its own worker thread: ${actors.join(', ')}`)
    if (first.inspectUrl !== undefined) more(`live page: ${first.inspectUrl} (open it to watch the states change)`)
    else more('live page: not in this build (createNode has no inspect option yet)')
    await pause()

    t = deps.now()
    const joiners = cast.names.slice(1)
    await Promise.all(joiners.map((n) => cluster.start(n, [first.address], { candidate: true })))
    const everyoneAlive = (observer: string): boolean => cast.names.every((m) => view.status(observer, m)?.status === 'alive')
    await seenBy('the joins', () => view.observers(), everyoneAlive, STEP_DEADLINE_MS)
    const allAt = latest(cast.names, (obs) => Math.max(...cast.names.map((m) => view.status(obs, m)!.at)))
    say('join', `${joiners[0]}..${joiners.at(-1)} started and joined ${cast.first} in ${formatMs(allAt - t)}: all ${o.nodes} nodes see ${o.nodes} alive members`)
    await pause()

    // A user event, gossiped to every member.
    const key = 'deploy=v2'
    t = deps.now()
    await cluster.node(cast.sender)!.userEvent('deploy', new TextEncoder().encode('v2'))
    await seenBy('the user event', () => view.observers(), (obs) => view.userEventAt(obs, key) !== undefined, STEP_DEADLINE_MS)
    say('event', `${cast.sender} sent user event "deploy" (payload "v2"): all ${o.nodes} nodes got it, ${spread(new Map(view.observers().map((obs) => [obs, view.userEventAt(obs, key)! - t])))}`)
    await pause()

    // The leader, when this build has the election; it is the one to crash.
    let crashed = cast.crashed
    let leaderTerm = 0
    if (cluster.hasElection) {
      t = deps.now()
      const agreed = (obs: string): boolean => {
        const l = view.leaderOf(obs)
        const ref = view.leaderOf(cast.first)
        return l?.leader != null && l.leader === ref?.leader && l.term === ref.term
      }
      await seenBy(`a leader of "${DEMO_GROUP}"`, () => view.observers(), agreed, STEP_DEADLINE_MS)
      const l = view.leaderOf(cast.first)!
      crashed = l.leader!
      leaderTerm = l.term
      say('leader', `${crashed} is the leader of group "${DEMO_GROUP}" (term ${l.term}): all ${o.nodes} nodes agree, ${formatMs(latest(view.observers(), (obs) => view.leaderOf(obs)!.at) - t)} after this step began`)
    } else {
      say('leader', 'skipped: this build has no election yet (node.election() comes with coordination)')
    }
    await pause()

    // A crash: no leave message; the others find out by probing it.
    t = deps.now()
    const crashedAddress = cluster.node(crashed)!.address
    await cluster.crash(crashed)
    const crashedAt = deps.now()
    say('crash', `${crashed} (${crashedAddress}) stopped without leaving, as if killed: the others must notice`)
    await seenBy(`${crashed} failed`, others(crashed), (obs) => view.status(obs, crashed)?.status === 'failed', FAILED_DEADLINE_MS)
    const seen = new Map(others(crashed)().map((obs) => [obs, view.status(obs, crashed)!.at - crashedAt]))
    say('failed', `${crashed} seen as failed by all ${seen.size} others, ${spread(seen)}`)
    more('(no one told them: missed probes, a suspicion timeout, then gossip)')
    if (cluster.hasElection) {
      const moved = (obs: string): boolean => {
        const l = view.leaderOf(obs)
        const ref = view.leaderOf(cast.first)
        return l?.leader != null && l.leader !== crashed && l.term > leaderTerm && l.leader === ref?.leader && l.term === ref.term
      }
      await seenBy('a new leader', others(crashed), moved, FAILED_DEADLINE_MS)
      const l = view.leaderOf(cast.first)!
      say('leader', `${l.leader} took over (term ${l.term}), agreed by all ${others(crashed)().length} running nodes ${formatMs(latest(others(crashed)(), (obs) => view.leaderOf(obs)!.at) - crashedAt)} after the crash`)
    }
    await pause()

    // The crashed node comes back from its snapshot (no join address given) on the same address.
    t = deps.now()
    const back = await cluster.start(crashed, [], { candidate: true })
    const rejoin = (await back.stats()).node?.snapshotRejoin
    const remembered = rejoin === undefined ? 'from its snapshot' : `from its snapshot (${rejoin.previousNodes} members remembered)`
    await seenBy(`${crashed} alive again`, () => view.observers(), (obs) => view.observers().every((m) => view.status(obs, m)?.status === 'alive'), STEP_DEADLINE_MS)
    const aliveAt = latest(view.observers(), (obs) => Math.max(...view.observers().map((m) => view.status(obs, m)!.at)))
    const where = back.address === crashedAddress ? 'on the same address' : `on ${back.address}`
    say('restart', `${crashed} restarted ${where}, no join address given: it rejoins ${remembered}`)
    more(`all ${view.observers().length} nodes see each other alive ${formatMs(aliveAt - t)} after the restart`)
    await pause()

    // A graceful leave: the others are told, no detection needed.
    const leaver = leaverBesides(cast, crashed)
    t = deps.now()
    await cluster.leave(leaver)
    await seenBy(`${leaver} left`, others(leaver), (obs) => view.status(obs, leaver)?.status === 'left', STEP_DEADLINE_MS)
    const left = new Map(others(leaver)().map((obs) => [obs, view.status(obs, leaver)!.at - t]))
    say('leave', `${leaver} left gracefully: seen as left (not failed) by all ${left.size} others, ${spread(left)}`)
    say('done', `script complete in ${formatMs(deps.now() - t0)}`)
    return { ok: true }
  } catch (err) {
    if (err instanceof Interrupted || signal.aborted) return { ok: false, reason: 'interrupted' }
    if (err instanceof StepNotSeen) return { ok: false, reason: 'not-seen' }
    throw err
  }
}

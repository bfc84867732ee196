/**
 * What follows a decision of the node table (an Outcome), in one place for the gossip, probe and
 * push/pull paths alike: refusals counted, suspicion timers armed or cancelled, refutations and
 * conflicts counted and reported, broadcasts queued, member events reported (and the address index
 * kept), our leave finished when nobody is left to tell, the cluster size reported.
 * Declares the narrow host it needs: no import of the core.
 */
import type { SwimCountersView } from './counters.ts'
import type { SuspicionCause, SwimOutput } from './effects.ts'
import type { Broadcast, NodeRecord, NodeTable, Outcome } from './node-table.ts'

export interface OutcomeHost {
  readonly table: NodeTable
  /** The counters of the step running now (read when counting). */
  readonly counters: SwimCountersView
  /** Lifeguard's awareness: a refutation means we were thought dead (one step worse). */
  readonly awareness: { applyDelta(delta: number): void }
  emit(output: SwimOutput): void
  broadcast(b: Broadcast): void
  refuse(reason: string): void
  armSuspicion(node: string, deadlineMs: number, startMs: number, fresh: boolean): void
  cancelSuspicion(node: string): void
  /** A member joined or changed: its address names it from now on. */
  indexAddress(n: NodeRecord): void
  /** A member left or died (our leave may have nobody left to tell). */
  memberGone(): void
  reportSize(): void
  /** fastCrashDetection: another member's suspect started our suspicion of `node` at `startMs` (suspect-probes.ts). */
  suspectHeard(node: string, startMs: number): void
  /** fastCrashDetection: a suspect or dead we originated was queued; gossip it at once (gossip-ticker.ts). */
  gossipAtOnce(): void
  /** fastJoinPropagation: the alive of a member we did not know was queued; gossip it soon (gossip-ticker.ts `joinNews`). */
  joinNews(): void
}

/** Applies `o`; `cause` tells where a suspicion came from (reported with 'suspect'). */
export function applyOutcome(host: OutcomeHost, o: Outcome, cause: SuspicionCause = 'gossip'): void {
  const c = host.counters
  if (o.result === 'refused') host.refuse(o.reason ?? '')
  if (o.cancelSuspicion !== undefined) host.cancelSuspicion(o.cancelSuspicion)
  if (o.result === 'refuted') {
    c.refutations++
    host.awareness.applyDelta(1)
    host.emit({ type: 'refuted', incarnation: host.table.self().incarnation, ...(o.refutes !== undefined ? { refutes: o.refutes } : {}) })
  }
  // memberlist's NotifyConflict, from the gossip path and the push/pull path alike (aliveNode runs for both).
  if (o.result === 'conflict' && o.existing !== undefined) {
    c.conflicts++
    if (o.other !== undefined) host.emit({ type: 'conflict', existing: o.existing, other: o.other })
  }
  if (o.broadcast !== undefined) {
    host.broadcast(o.broadcast)
    if (originated(host.table.selfName, o.broadcast, cause)) host.gossipAtOnce()
    else if (o.event?.kind === 'join' && o.broadcast.type === 'alive') host.joinNews()
  }
  if (o.suspicion !== undefined) host.armSuspicion(o.suspicion.node, o.suspicion.deadlineMs, o.suspicion.startMs, o.result === 'accepted')
  if (o.result === 'accepted' && o.broadcast?.type === 'suspect') {
    c.suspicions++
    host.emit({ type: 'suspect', node: o.broadcast.msg.node, from: o.broadcast.msg.from, cause })
    if (cause !== 'probe' && o.suspicion !== undefined) host.suspectHeard(o.suspicion.node, o.suspicion.startMs)
  }
  if (o.event !== undefined) {
    const n = o.event.node
    if (o.event.kind !== 'leave') host.indexAddress(n)
    if (o.event.kind === 'join') host.emit({ type: 'node-joined', node: n })
    else if (o.event.kind === 'update') host.emit({ type: 'node-updated', node: n })
    else host.emit({ type: 'node-left', node: n })
    if (o.event.kind === 'leave') host.memberGone()
  }
  host.reportSize()
}

/**
 * A suspect from our own failed probe (a new suspicion or a confirmation of another's), or a dead
 * from our own suspicion timer: news only this node has, which peers' timers wait for. A push/pull's
 * suspect (From = self too) only repeats what the peer already holds, and a leave is not a death.
 */
function originated(self: string, b: Broadcast, cause: SuspicionCause): boolean {
  if (b.type === 'suspect') return cause === 'probe'
  return b.type === 'dead' && b.msg.from === self && b.msg.node !== self
}

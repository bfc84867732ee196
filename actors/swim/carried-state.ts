/**
 * What swim keeps across a restart besides the node itself (pure bookkeeping: no I/O, no clock):
 * the members to rejoin (context.knownPeers), the transport's stream counts and the inbound byte
 * budget's peak (context.streams), and the counters. A restart in place keeps this object (it
 * lives in the runner, in the machine factory's closure); a restart in a new thread starts it
 * afresh and `start` takes everything from the persisted context instead, so nothing counted
 * before the restart is lost.
 */
import type { SwimTransport } from './transport-slot.ts'
import type { SwimContext, SwimStreamsView } from './swim-context.ts'
import { MAX_KNOWN_PEERS, NO_STREAMS } from './swim-context.ts'
import type { SwimCore } from './swim-core.ts'

/** Counters that live outside the node (swim-runner.ts RunnerCounts). */
export type CountsRecord = Record<string, number>

export class CarriedState {
  /** Up to MAX_KNOWN_PEERS addresses of members alive when the table last changed. */
  private knownPeers: string[] = []
  private peersDirty = false
  /** The transport whose stream counters are shown, and what earlier transports counted. */
  private transport: SwimTransport | undefined
  private base: SwimStreamsView = { ...NO_STREAMS }

  /** The table changed (a join, update or leave): knownPeers is recomputed at the next view. */
  membershipChanged(): void {
    this.peersDirty = true
  }

  /**
   * A node starts on `transport`. After a restore (`restored`: the persisted context) the node's
   * counters, `counts` and the stream counts carry on from it: the larger of it and what this
   * object counted, so a restart in place (which has both) counts nothing twice. `previous`: the
   * counters of the node this runner stopped (a restart in place), newer than a throttled record.
   */
  start(node: SwimCore, transport: SwimTransport, counts: CountsRecord, restored?: SwimContext, previous?: Record<string, unknown>): void {
    if (restored !== undefined) {
      for (const k of Object.keys(counts)) counts[k] = Math.max(counts[k]!, (restored as unknown as CountsRecord)[k] ?? 0)
      const fresh = node.counters as unknown as Record<string, number | string>
      // The persisted counters, and (a restart in place) the stopped node's, which may be newer.
      for (const from of [restored.counters ?? {}, previous ?? {}]) {
        for (const [k, v] of Object.entries(from)) {
          const mine = fresh[k]
          if (typeof v === 'number' && typeof mine === 'number') fresh[k] = Math.max(mine, v)
          else if (typeof v === 'string' && mine === '') fresh[k] = v
        }
      }
      if (restored.knownPeers !== undefined && restored.knownPeers.length > 0) this.knownPeers = [...restored.knownPeers]
      const persisted = restored.streams ?? NO_STREAMS
      // A new thread: the snapshot holds all that earlier transports counted.
      if (this.transport === undefined) this.base = { ...NO_STREAMS, refusedAtAccept: persisted.refusedAtAccept, idleTimeouts: persisted.idleTimeouts, deadlinesExpired: persisted.deadlinesExpired }
      this.base = { ...this.base, peakBufferedBytes: Math.max(this.base.peakBufferedBytes, persisted.peakBufferedBytes) }
    }
    // A transport replaced in this thread: what it counted stays counted.
    if (this.transport !== undefined && this.transport !== transport) this.addCounts(this.transport)
    this.transport = transport
    this.peersDirty = true
  }

  /** The context's view: the members to rejoin, and the streams (set with every step of the core). */
  view(node: SwimCore): { knownPeers: string[]; streams: SwimStreamsView } {
    if (this.peersDirty) {
      this.peersDirty = false
      const now = knownPeersOf(node)
      // A table that lost everyone keeps the last known members: they are still worth a rejoin.
      if (now.length > 0) this.knownPeers = now
    }
    const t = this.transport?.streamCounters()
    const budget = node.pushPull.inboundBudget
    const streams: SwimStreamsView = {
      refusedAtAccept: this.base.refusedAtAccept + (t?.inboundRefused ?? 0),
      idleTimeouts: this.base.idleTimeouts + (t?.idleTimeouts ?? 0),
      deadlinesExpired: this.base.deadlinesExpired + (t?.deadlinesExpired ?? 0),
      inboundOpen: t?.inboundOpen ?? 0,
      bufferedBytes: budget.usedBytes,
      peakBufferedBytes: Math.max(this.base.peakBufferedBytes, budget.peakBytes),
    }
    return { knownPeers: this.knownPeers, streams }
  }

  private addCounts(t: SwimTransport): void {
    const c = t.streamCounters()
    this.base = {
      ...this.base,
      refusedAtAccept: this.base.refusedAtAccept + c.inboundRefused,
      idleTimeouts: this.base.idleTimeouts + c.idleTimeouts,
      deadlinesExpired: this.base.deadlinesExpired + c.deadlinesExpired,
    }
  }
}

/** Up to MAX_KNOWN_PEERS addresses of alive members other than us, in table order. */
function knownPeersOf(n: SwimCore): string[] {
  const out: string[] = []
  for (const r of n.table.records()) {
    if (out.length >= MAX_KNOWN_PEERS) break
    if (r.name !== n.table.selfName && r.state === 'alive') out.push(n.addressOf(r))
  }
  return out
}

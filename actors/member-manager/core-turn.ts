/**
 * One member-manager step's working copy (core.ts runs the inputs over it): editors over the state
 * it started from (member-table.ts, intents.ts: copy-on-write), the effects so far, and what every
 * input shares: publishing member events with their snapshot records, the snapshot clock line and
 * the cluster size after each change, the join intent broadcast and a processed intent's outcome.
 */
import { encodeSerfMessage } from '../../src/wire/index.ts'
import type { Broadcast } from '../gossip-queue/protocol.ts'
import type { SnapshotRecord } from '../snapshotter/protocol.ts'
import type { LamportTime, Member } from './protocol.ts'
import type { SerfConfig } from './config.ts'
import { LamportClock } from './lamport.ts'
import { RecentIntents } from './intents.ts'
import { MemberTable } from './member-table.ts'
import type { IntentResult, MemberEvent } from './member-record.ts'
import { encodeTags } from './tags.ts'
import type { MemberCoreState, MemberEffect, MemberLayerCounters } from './member-effects.ts'

export function freshCounters(): MemberLayerCounters {
  return {
    malformedMessages: 0,
    passedThrough: 0,
    reconnectAttempts: 0,
    intentsRebroadcast: 0,
    leaveRefutations: 0,
    nameConflictsRemote: 0,
    nameConflictsLocal: 0,
    reconnectJoins: 0,
    joinsNotAlive: 0,
  }
}

/**
 * One turn: editors over the state it started from, and the effects so far. Lives for one `step`.
 */
export class Turn {
  readonly effects: MemberEffect[] = []
  readonly config: SerfConfig
  readonly clock: LamportClock
  eventState: MemberCoreState['eventState']
  readonly intents: RecentIntents
  readonly table: MemberTable
  readonly counters: MemberLayerCounters
  meta: MemberCoreState['meta']
  leave: MemberCoreState['leave']
  /** The input's time (ms on the actor clock); 0 for inputs that carry none. */
  now = 0

  constructor(readonly base: MemberCoreState) {
    const config = base.config
    this.config = config
    this.clock = new LamportClock(base.clock)
    this.eventState = base.eventState
    this.intents = new RecentIntents(config.maxRecentIntents, base.intents)
    this.table = new MemberTable(
      {
        localName: config.nodeName,
        clock: this.clock,
        intents: this.intents,
        pruneDelayMs: config.broadcastTimeoutMs + config.leavePropagateDelayMs,
        flapTimeoutMs: config.flapTimeoutMs,
      },
      base.table,
    )
    // Fresh counters under the kept ones: a state persisted before a counter existed lacks it.
    this.counters = { ...freshCounters(), ...base.counters }
    this.meta = base.meta
    this.leave = base.leave
  }

  finish(): MemberCoreState {
    const b = this.base
    const table = this.table.finish()
    const intents = this.intents.finish()
    const countersSame = (Object.keys(this.counters) as Array<keyof MemberLayerCounters>).every((k) => this.counters[k] === b.counters[k])
    const same =
      table === b.table &&
      intents === b.intents &&
      countersSame &&
      this.meta === b.meta &&
      this.leave === b.leave &&
      this.clock.time() === b.clock &&
      this.eventState === b.eventState
    if (same) return b
    return {
      config: b.config,
      clock: this.clock.time(),
      eventState: this.eventState,
      intents,
      table,
      counters: countersSame ? b.counters : this.counters,
      meta: this.meta,
      leave: this.leave,
    }
  }

  setMeta(patch: Partial<MemberCoreState['meta']>): void {
    this.meta = { ...this.meta, ...patch }
  }

  localMeta(): Uint8Array {
    return encodeTags(this.meta.tags, this.config.protocolVersion)
  }

  hasOtherAliveMembers(): boolean {
    for (const m of this.table.members(['alive'])) if (m.name !== this.config.nodeName) return true
    return false
  }

  enqueue(broadcast: Broadcast): void {
    this.effects.push({ type: 'broadcast', broadcast })
  }

  /** Serf broadcastJoin: witness, apply locally, queue on the intent queue. */
  broadcastJoin(ltime: LamportTime): void {
    const name = this.config.nodeName
    this.clock.witness(ltime)
    this.applyIntentResult(name, this.table.joinIntent(name, ltime, this.now))
    this.enqueue({ queue: 'serf-intent', message: encodeSerfMessage({ type: 'join', LTime: ltime, Node: name }), unique: true })
    this.afterChange()
  }

  applyIntentResult(name: string, r: IntentResult): void {
    if (r.outcome === 'refuted') {
      this.counters.leaveRefutations++
      this.broadcastJoin(this.clock.time())
    }
    if (r.pruneAfterMs !== undefined) this.effects.push({ type: 'schedule-prune', name, delayMs: r.pruneAfterMs })
    this.publish(r.events)
  }

  /** Member events to subscribers and the snapshotter, then the clock and the size. */
  publish(events: readonly MemberEvent[]): void {
    for (const e of events) {
      this.effects.push({ type: 'event', msg: { type: 'member.event', event: e.event, members: [e.member] } })
      if (e.event === 'member-join') this.effects.push({ type: 'snapshot', msg: { type: 'snapshot.member-alive', name: e.member.name, addr: e.member.addr, port: e.member.port } })
      else if (e.event === 'member-leave' || e.event === 'member-failed') this.effects.push({ type: 'snapshot', msg: { type: 'snapshot.member-not-alive', name: e.member.name } })
    }
    if (events.length > 0) this.afterChange()
  }

  /** `publish` for many events: runs of one event type share a message; the records go as one. */
  publishBatch(events: readonly MemberEvent[]): void {
    if (events.length === 0) return
    const records: SnapshotRecord[] = []
    let run: Member[] = []
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!
      run.push(e.member)
      if (events[i + 1]?.event !== e.event) {
        this.effects.push({ type: 'event', msg: { type: 'member.event', event: e.event, members: run } })
        run = []
      }
      if (e.event === 'member-join') records.push({ kind: 'member-alive', name: e.member.name, addr: e.member.addr, port: e.member.port })
      else if (e.event === 'member-leave' || e.event === 'member-failed') records.push({ kind: 'member-not-alive', name: e.member.name })
    }
    if (records.length > 0) this.effects.push({ type: 'snapshot', msg: { type: 'snapshot.records', records } })
    this.afterChange()
  }

  /** The snapshot clock line and the Serf cluster size follow every change. */
  afterChange(): void {
    const lastUsed = this.clock.time() - 1n
    if (lastUsed > this.meta.lastSnapshotClock) {
      this.setMeta({ lastSnapshotClock: lastUsed })
      this.effects.push({ type: 'snapshot', msg: { type: 'snapshot.clock', ltime: lastUsed } })
    }
    const size = this.table.size
    if (size !== this.meta.lastClusterSize) {
      this.setMeta({ lastClusterSize: size })
      this.effects.push({ type: 'cluster-size', numMembers: size })
    }
  }
}

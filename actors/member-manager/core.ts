/**
 * The member-manager core: Serf's member layer for one node (spec §5.3-5.7) as one pure function,
 * `step(state, input) -> { state, effects }`. The state (MemberCoreState) is plain, persistent data:
 * the XState context holds it as it is and the runtime persists it as it is. The input is one
 * message, timer or request, with the time (and, for the reconnect tick, the seeded random source)
 * in it; the effects are plain data the machine runs in order (member-effects.ts).
 *
 * A step never changes the state it was given: it opens editors over it (member-table.ts,
 * intents.ts: copy-on-write of only the records it writes, in a persistent map) and returns the
 * next version, or the same object when nothing changed. So a persisted snapshot may share every
 * unchanged part with the live context, and a turn costs what it writes, not the table's size.
 *
 * Reads (the member list, push/pull LocalState, stats) are plain functions of the state
 * (member-reads.ts).
 */
import { decodeSerfMessage, encodeSerfMessage } from '../../src/wire/index.ts'
import type { Broadcast } from '../gossip-queue/protocol.ts'
import type { SnapshotRecord } from '../snapshotter/protocol.ts'
import type { LamportTime, Member, NodeChange } from './protocol.ts'
import type { SerfConfig } from './config.ts'
import { LamportClock } from './lamport.ts'
import { RecentIntents, emptyIntents } from './intents.ts'
import { MemberTable, emptyTable } from './member-table.ts'
import type { IntentResult, MemberEvent } from './member-table.ts'
import { encodeTags } from './tags.ts'
import { chooseReconnect } from './reconnect.ts'
import { describeNameConflict } from './name-conflict.ts'
import type { MemberCoreInput, MemberCoreState, MemberEffect, MemberLayerCounters, MemberStep } from './member-effects.ts'

/** Serf message type bytes handled here (spec §5.1). */
const SERF_LEAVE = 0
const SERF_JOIN = 1
const SERF_PUSH_PULL = 2

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

/** The state of a node that has not started (Serf create runs on the `start` input). */
export function initialCoreState(config: SerfConfig): MemberCoreState {
  return {
    config,
    clock: 0n,
    eventState: undefined,
    intents: emptyIntents(),
    table: emptyTable(),
    counters: freshCounters(),
    meta: { tags: { ...config.tags }, lastSnapshotClock: 0n, lastClusterSize: -1, leaveSeq: 0, started: false },
    leave: undefined,
  }
}

/** One input applied to one state: the next state and the effects, in the order they happened. */
export function step(state: MemberCoreState, input: MemberCoreInput): MemberStep {
  const t = new Turn(state)
  t.apply(input)
  return { state: t.finish(), effects: t.effects }
}

/**
 * One turn: editors over the state it started from, and the effects so far. Lives for one `step`.
 */
class Turn {
  readonly effects: MemberEffect[] = []
  private readonly config: SerfConfig
  private readonly clock: LamportClock
  private eventState: MemberCoreState['eventState']
  private readonly intents: RecentIntents
  private readonly table: MemberTable
  private readonly counters: MemberLayerCounters
  private meta: MemberCoreState['meta']
  private leave: MemberCoreState['leave']
  private now = 0

  constructor(private readonly base: MemberCoreState) {
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

  apply(input: MemberCoreInput): void {
    if ('now' in input && typeof input.now === 'number') this.now = input.now
    switch (input.type) {
      case 'start':
        return this.start(input.restored)
      case 'node-joined':
        return this.publish(this.table.nodeJoined(input.node, this.now))
      case 'node-updated':
        return this.publish(this.table.nodeUpdated(input.node))
      case 'node-left':
        return this.publish(this.table.nodeLeft(input.node, this.now))
      case 'nodes-changed':
        return this.nodeChanges(input.changes)
      case 'name-conflict':
        return this.nameConflict(input)
      case 'user-message':
        return this.userMessage(input.bytes)
      case 'merge-remote-state':
        return this.mergeRemoteState(input.bytes, input.join)
      case 'set-tags':
        return this.setTags(input.tags)
      case 'join-completed':
        return this.joinCompleted(input.numJoined, input.reconnect)
      case 'begin-leave':
        return this.beginLeave(input.notifyTo)
      case 'finish-leave':
        if (this.table.localState !== 'shutdown') this.table.localState = 'left'
        return
      case 'shutdown':
        this.table.localState = 'shutdown'
        return
      case 'reap-tick': {
        const c = this.config
        return this.publish(this.table.reap(this.now, c.reconnectTimeoutMs, c.tombstoneTimeoutMs, c.recentIntentTimeoutMs))
      }
      case 'reconnect-tick':
        return this.reconnectTick(input.random)
      case 'prune-due':
        return this.publish(this.table.pruneDue(input.name))
      case 'force-leave':
        return this.forceLeave(input.node, input.prune, input.notifyTo, input.notifyId)
      case 'event-state':
        this.eventState = { eventLTime: input.eventLTime, events: input.events, queryLTime: input.queryLTime }
        return
      default: {
        const unknown: never = input
        return unknown
      }
    }
  }

  private setMeta(patch: Partial<MemberCoreState['meta']>): void {
    this.meta = { ...this.meta, ...patch }
  }

  private localMeta(): Uint8Array {
    return encodeTags(this.meta.tags, this.config.protocolVersion)
  }

  /**
   * Serf create: the member clock starts at 1; a restored snapshot clock is then witnessed (spec
   * §5.3). The event and query clocks start in serf-events (event-clock.ts startClock).
   */
  private start(restored: { clock?: LamportTime }): void {
    if (this.meta.started) return
    this.setMeta({ started: true })
    this.clock.increment()
    if (restored.clock !== undefined) this.clock.witness(restored.clock)
    // swim advertises this Meta in its alive messages.
    this.effects.push({ type: 'tell-swim', msg: { type: 'member.local-meta-changed', meta: this.localMeta() } })
  }

  /**
   * A batch of swim's node changes (`member.nodes-changed`), applied in order like the single
   * notices, then published together: one `member.event` per run of events of one type (Serf, too,
   * coalesces member events), one `snapshot.records`, one size. A batch holds at most
   * MAX_NODE_CHANGES, so what it sends onward is bounded by the same.
   */
  private nodeChanges(changes: readonly NodeChange[]): void {
    const events: MemberEvent[] = []
    for (const c of changes) {
      let out: MemberEvent[]
      if (c.kind === 'joined') out = this.table.nodeJoined(c.node, this.now)
      else if (c.kind === 'updated') out = this.table.nodeUpdated(c.node)
      else if (c.kind === 'left') out = this.table.nodeLeft(c.node, this.now)
      else out = this.table.reconcile(c.node, this.now)
      for (const e of out) events.push(e)
    }
    this.publishBatch(events)
  }

  /**
   * memberlist NotifyConflict (spec §5.11): reported as a `member.conflict` event and counted; the
   * table is not touched (swim ignored the alive). About our own name Serf runs the `_serf_conflict`
   * vote: serf-events holds it (it owns queries), so the conflict is handed over (name-conflict.ts).
   */
  private nameConflict(input: Extract<MemberCoreInput, { type: 'name-conflict' }>): void {
    const event = describeNameConflict(this.config.nodeName, this.config.enableNameConflictResolution, input.existing, input.other)
    if (event.local) this.counters.nameConflictsLocal++
    else this.counters.nameConflictsRemote++
    this.effects.push({ type: 'event', msg: event })
    if (event.local && this.config.enableNameConflictResolution) {
      this.effects.push({ type: 'serf-events', msg: { type: 'serf.name-conflict', other: { addr: input.other.addr.slice(), port: input.other.port } } })
    }
  }

  /** memberlist NotifyMsg: a Serf message (`[serfType][body]`). */
  private userMessage(bytes: Uint8Array): void {
    if (bytes.length === 0) {
      this.counters.malformedMessages++
      return
    }
    const t = bytes[0]!
    if (t !== SERF_LEAVE && t !== SERF_JOIN) {
      // User events, queries, responses, relays: serf-events' (it counts what it cannot use).
      this.counters.passedThrough++
      this.effects.push({ type: 'serf-events', msg: { type: 'serf.message', bytes, from: '' } })
      return
    }
    let msg
    try {
      msg = decodeSerfMessage(bytes)
    } catch {
      this.counters.malformedMessages++
      return
    }
    let result: IntentResult
    if (msg.type === 'leave') result = this.table.leaveIntent(msg.Node, msg.LTime, msg.Prune, this.now)
    else if (msg.type === 'join') result = this.table.joinIntent(msg.Node, msg.LTime, this.now)
    else return
    this.applyIntentResult(msg.Node, result)
    if (result.rebroadcast) {
      // Re-queue the exact received bytes (a copy: the caller may reuse its buffer).
      this.counters.intentsRebroadcast++
      this.enqueue({ queue: 'serf-intent', message: bytes.slice(), unique: true })
    }
    this.afterChange()
  }

  /** Serf MergeRemoteState (spec §2.5). The event part (clocks, ring) goes to serf-events. */
  private mergeRemoteState(bytes: Uint8Array, join: boolean): void {
    if (bytes.length === 0 || bytes[0] !== SERF_PUSH_PULL) {
      this.counters.malformedMessages++
      return
    }
    let pp
    try {
      pp = decodeSerfMessage(bytes)
    } catch {
      this.counters.malformedMessages++
      return
    }
    if (pp.type !== 'pushPull') return
    // No message with the remote LTime has been sent yet, hence − 1.
    if (pp.LTime > 0n) this.clock.witness(pp.LTime - 1n)
    // Left members first, one past their join time (the leave must have come after it).
    const leftSet = new Set(pp.LeftMembers ?? [])
    for (const name of leftSet) {
      const r = this.table.leaveIntent(name, (pp.StatusLTimes.get(name) ?? 0n) + 1n, false, this.now)
      this.applyIntentResult(name, r)
    }
    for (const [name, ltime] of pp.StatusLTimes) {
      if (leftSet.has(name)) continue
      this.applyIntentResult(name, this.table.joinIntent(name, ltime, this.now))
    }
    this.counters.passedThrough++
    this.effects.push({ type: 'serf-events', msg: { type: 'serf.merge-remote-events', eventLTime: pp.EventLTime, events: pp.Events, queryLTime: pp.QueryLTime, join } })
    this.afterChange()
  }

  /** Serf SetTags: validate the Meta size (a TagsTooLargeError fails the request), then UpdateNode via swim. */
  private setTags(tags: Record<string, string>): void {
    const next = { ...tags }
    let meta: Uint8Array
    try {
      meta = encodeTags(next, this.config.protocolVersion)
    } catch (err) {
      this.effects.push({ type: 'rejected', error: err as Error })
      return
    }
    this.setMeta({ tags: next })
    this.effects.push({ type: 'tell-swim', msg: { type: 'member.local-meta-changed', meta } })
  }

  /**
   * A memberlist join finished with `numJoined` successful contacts. For a user's join (Serf.Join's
   * tail) a success broadcasts a join intent at the current time. A reconnect join (Serf's
   * reconnect, which calls only memberlist.Join) broadcasts nothing; neither does a join that
   * completes once we are leaving or left (Serf.Join refuses after Leave): its intent would carry a
   * newer LTime than our leave intent, set us back to alive at the peers, and make the memberlist
   * leave that follows look like a failure.
   */
  private joinCompleted(numJoined: number, reconnect: boolean): void {
    if (numJoined <= 0) return
    if (reconnect) {
      this.counters.reconnectJoins++
      return
    }
    if (this.table.localState !== 'alive') {
      this.counters.joinsNotAlive++
      return
    }
    this.broadcastJoin(this.clock.time())
  }

  /**
   * First step of Serf.Leave (spec §5.4): process our own leave intent, broadcast it, and note (in
   * `leave`) whether to wait for it to spread (only if another member is alive) and the id
   * gossip-queue reports it under. The snapshotter records `leave`.
   */
  private beginLeave(notifyTo: string): void {
    this.table.localState = 'leaving'
    this.effects.push({ type: 'snapshot', msg: { type: 'snapshot.leave' } })
    const ltime = this.clock.time()
    this.clock.increment()
    const name = this.config.nodeName
    this.applyIntentResult(name, this.table.leaveIntent(name, ltime, false, this.now))
    const leaveSeq = this.meta.leaveSeq + 1
    this.setMeta({ leaveSeq })
    const notifyId = `leave-${leaveSeq}`
    const waitForBroadcast = this.hasOtherAliveMembers()
    const broadcast: Broadcast = { queue: 'serf-intent', message: encodeSerfMessage({ type: 'leave', LTime: ltime, Node: name, Prune: false }), unique: true }
    if (waitForBroadcast) broadcast.notify = { to: notifyTo, id: notifyId }
    this.enqueue(broadcast)
    this.leave = { notifyId, waitForBroadcast }
    this.afterChange()
  }

  /**
   * Serf forceLeave (RemoveFailedNode / -prune): a leave intent for `node` at our member clock,
   * processed as if received (a failed member becomes left, or is erased with Prune; an alive one
   * leaving; an unknown name only recorded as an intent: none of it an error, as in Serf), then
   * broadcast, unless no other member is alive (Serf returns at once then, broadcasting nothing).
   * The caller's answer waits for the broadcast (`await-broadcast`).
   */
  private forceLeave(node: string, prune: boolean, notifyTo: string, notifyId: string): void {
    const ltime = this.clock.time()
    this.clock.increment()
    this.applyIntentResult(node, this.table.leaveIntent(node, ltime, prune, this.now))
    if (this.hasOtherAliveMembers()) {
      this.enqueue({ queue: 'serf-intent', message: encodeSerfMessage({ type: 'leave', LTime: ltime, Node: node, Prune: prune }), unique: true, notify: { to: notifyTo, id: notifyId } })
      this.effects.push({ type: 'await-broadcast', id: notifyId })
    }
    this.afterChange()
  }

  /**
   * Reconnect tick (spec §5.6): maybe ask swim to join one failed member. Nothing once we are leaving,
   * left or shut down: the node is going away, so a rejoin cannot help, and its push/pull would only
   * race with the leave.
   */
  private reconnectTick(random: Extract<MemberCoreInput, { type: 'reconnect-tick' }>['random']): void {
    if (this.table.localState !== 'alive') return
    const { target } = chooseReconnect(this.table, random)
    if (target === undefined) return
    this.counters.reconnectAttempts++
    this.effects.push({ type: 'tell-swim', msg: { type: 'member.reconnect', name: target.name, addr: target.addr, port: target.port } })
  }

  private hasOtherAliveMembers(): boolean {
    for (const m of this.table.members(['alive'])) if (m.name !== this.config.nodeName) return true
    return false
  }

  private enqueue(broadcast: Broadcast): void {
    this.effects.push({ type: 'broadcast', broadcast })
  }

  /** Serf broadcastJoin: witness, apply locally, queue on the intent queue. */
  private broadcastJoin(ltime: LamportTime): void {
    const name = this.config.nodeName
    this.clock.witness(ltime)
    this.applyIntentResult(name, this.table.joinIntent(name, ltime, this.now))
    this.enqueue({ queue: 'serf-intent', message: encodeSerfMessage({ type: 'join', LTime: ltime, Node: name }), unique: true })
    this.afterChange()
  }

  private applyIntentResult(name: string, r: IntentResult): void {
    if (r.outcome === 'refuted') {
      this.counters.leaveRefutations++
      this.broadcastJoin(this.clock.time())
    }
    if (r.pruneAfterMs !== undefined) this.effects.push({ type: 'schedule-prune', name, delayMs: r.pruneAfterMs })
    this.publish(r.events)
  }

  /** Member events to subscribers and the snapshotter, then the clock and the size. */
  private publish(events: readonly MemberEvent[]): void {
    for (const e of events) {
      this.effects.push({ type: 'event', msg: { type: 'member.event', event: e.event, members: [e.member] } })
      if (e.event === 'member-join') this.effects.push({ type: 'snapshot', msg: { type: 'snapshot.member-alive', name: e.member.name, addr: e.member.addr, port: e.member.port } })
      else if (e.event === 'member-leave' || e.event === 'member-failed') this.effects.push({ type: 'snapshot', msg: { type: 'snapshot.member-not-alive', name: e.member.name } })
    }
    if (events.length > 0) this.afterChange()
  }

  /** `publish` for many events: runs of one event type share a message; the records go as one. */
  private publishBatch(events: readonly MemberEvent[]): void {
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
  private afterChange(): void {
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

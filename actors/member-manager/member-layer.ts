/**
 * MemberLayer: Serf's member layer for one node (spec §5.3-5.7) as pure logic over ports, in the
 * style of swim's SwimNode. It owns the member table, the three Lamport clocks, the intent buffer and
 * the local tags; it decodes and encodes the Serf messages it handles (join/leave intents, push/pull
 * user state) and passes the others through byte-exact. The XState machine (machine.ts) wraps it with
 * the lifecycle states and timers; a simulator may also drive it directly.
 */
import { decodeSerfMessage, encodeSerfMessage } from '../../src/wire/index.ts'
import type { SerfPushPull } from '../../src/wire/index.ts'
import type { RandomSource } from '../../src/types/random.ts'
import type { Broadcast } from '../gossip-queue/protocol.ts'
import type { SnapshotRecord, SnapshotterIn } from '../snapshotter/protocol.ts'
import type { LamportTime, Member, MemberCounts, MemberManagerOutbound, MemberStatsReply, MemberStatus, NodeChange, NodeInfo } from './protocol.ts'
import type { SerfConfig } from './config.ts'
import { LamportClock } from './lamport.ts'
import { RecentIntents } from './intents.ts'
import { MemberTable } from './member-table.ts'
import type { IntentResult, LocalSerfState, MemberEvent } from './member-table.ts'
import { encodeTags } from './tags.ts'
import { chooseReconnect } from './reconnect.ts'
import { describeNameConflict } from './name-conflict.ts'
import type { NameConflictClaimant } from './name-conflict.ts'

/** Serf message type bytes handled here (spec §5.1). */
const SERF_LEAVE = 0
const SERF_JOIN = 1
const SERF_PUSH_PULL = 2

export interface MemberLayerPorts {
  now(): number
  random: Pick<RandomSource, 'next' | 'int'>
  /** Outbound messages: member events, swim requests, pass-through Serf messages. */
  emit(msg: MemberManagerOutbound): void
  /** To gossip-queue: a Serf broadcast (intent queue for intents). */
  enqueue(broadcast: Broadcast): void
  /** To gossip-queue: Serf's member count (all statuses) changed. */
  clusterSize(numMembers: number): void
  /** To the snapshotter (spec §6). */
  snapshot(msg: SnapshotterIn): void
  /** Erase `name` after `delayMs` unless it came back (leave with Prune); the runner calls `pruneDue`. */
  schedulePrune(name: string, delayMs: number): void
}

export interface MemberLayerCounters {
  malformedMessages: number
  passedThrough: number
  reconnectAttempts: number
  intentsRebroadcast: number
  leaveRefutations: number
  /** Name conflicts about another node's name. */
  nameConflictsRemote: number
  /** Name conflicts about our own name (unresolved until queries exist). */
  nameConflictsLocal: number
  /** Completed reconnect joins (no join intent, as in Serf). */
  reconnectJoins: number
  /** Joins that completed while this node was leaving, left or shut down (no join intent). */
  joinsNotAlive: number
}

function freshCounters(): MemberLayerCounters {
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
 * Everything the layer knows, as data only (no functions): the XState context holds this object so a
 * persisted snapshot carries the member table across a supervised restart, and `MemberLayer.revive`
 * rebuilds the layer from it (also from a structured-cloned copy, which has lost its prototypes).
 * The objects are updated in place; their identities never change.
 */
export interface MemberLayerData {
  clock: LamportClock
  eventClock: LamportClock
  queryClock: LamportClock
  intents: RecentIntents
  table: MemberTable
  counters: MemberLayerCounters
  meta: { tags: Record<string, string>; lastSnapshotClock: LamportTime; lastClusterSize: number; leaveSeq: number; started: boolean }
}

export class MemberLayer {
  readonly clock: LamportClock
  readonly eventClock: LamportClock
  readonly queryClock: LamportClock
  readonly intents: RecentIntents
  readonly table: MemberTable
  readonly counters: MemberLayerCounters
  /** The data object (see MemberLayerData); the XState context keeps a reference to it. */
  readonly data: MemberLayerData
  private readonly meta: MemberLayerData['meta']

  constructor(
    readonly config: SerfConfig,
    private readonly ports: MemberLayerPorts,
    from?: MemberLayerData,
  ) {
    this.clock = from === undefined ? new LamportClock() : LamportClock.from(from.clock as unknown as { current: LamportTime })
    this.eventClock = from === undefined ? new LamportClock() : LamportClock.from(from.eventClock as unknown as { current: LamportTime })
    this.queryClock = from === undefined ? new LamportClock() : LamportClock.from(from.queryClock as unknown as { current: LamportTime })
    this.intents =
      from === undefined
        ? new RecentIntents(config.maxRecentIntents)
        : RecentIntents.from(from.intents as unknown as Parameters<typeof RecentIntents.from>[0], config.maxRecentIntents)
    const opts = {
      localName: config.nodeName,
      clock: this.clock,
      intents: this.intents,
      pruneDelayMs: config.broadcastTimeoutMs + config.leavePropagateDelayMs,
      flapTimeoutMs: config.flapTimeoutMs,
    }
    this.table = from === undefined ? new MemberTable(opts) : MemberTable.from(from.table as unknown as Parameters<typeof MemberTable.from>[0], opts)
    // Fresh counters under the restored ones: a snapshot persisted before a counter existed lacks it.
    this.counters = { ...freshCounters(), ...from?.counters }
    this.meta =
      from === undefined
        ? { tags: { ...config.tags }, lastSnapshotClock: 0n, lastClusterSize: -1, leaveSeq: 0, started: false }
        : { ...from.meta, tags: { ...from.meta.tags } }
    this.data = { clock: this.clock, eventClock: this.eventClock, queryClock: this.queryClock, intents: this.intents, table: this.table, counters: this.counters, meta: this.meta }
  }

  /** Rebuilds a layer from its data after a restart (a started layer is not started again). */
  static revive(config: SerfConfig, ports: MemberLayerPorts, data: MemberLayerData): MemberLayer {
    return new MemberLayer(config, ports, data)
  }

  get started(): boolean {
    return this.meta.started
  }

  /** Serf create: each clock starts at 1; a restored snapshot clock is then witnessed (spec §5.3). */
  start(restored: { clock?: LamportTime; eventClock?: LamportTime; queryClock?: LamportTime } = {}): void {
    if (this.meta.started) return
    this.meta.started = true
    this.clock.increment()
    this.eventClock.increment()
    this.queryClock.increment()
    if (restored.clock !== undefined) this.clock.witness(restored.clock)
    if (restored.eventClock !== undefined) this.eventClock.witness(restored.eventClock)
    if (restored.queryClock !== undefined) this.queryClock.witness(restored.queryClock)
    // swim advertises this Meta in its alive messages.
    this.ports.emit({ type: 'member.local-meta-changed', meta: this.localMeta() })
  }

  get localState(): LocalSerfState {
    return this.table.localState
  }

  localMeta(): Uint8Array {
    return encodeTags(this.meta.tags, this.config.protocolVersion)
  }

  // ------------------------------------------------------------------------------ from swim

  nodeJoined(node: NodeInfo): void {
    this.publish(this.table.nodeJoined(node, this.ports.now()))
  }

  nodeUpdated(node: NodeInfo): void {
    this.publish(this.table.nodeUpdated(node))
  }

  nodeLeft(node: NodeInfo): void {
    this.publish(this.table.nodeLeft(node, this.ports.now()))
  }

  /**
   * A batch of swim's node changes (`member.nodes-changed`), applied in order like the single
   * notices, then published together: one `member.event` per run of events of one type (Serf, too,
   * coalesces member events), one `snapshot.records`, one size. A batch holds at most
   * MAX_NODE_CHANGES, so what it sends onward is bounded by the same.
   */
  nodeChanges(changes: readonly NodeChange[]): void {
    const now = this.ports.now()
    const events: MemberEvent[] = []
    for (const c of changes) {
      let out: MemberEvent[]
      if (c.kind === 'joined') out = this.table.nodeJoined(c.node, now)
      else if (c.kind === 'updated') out = this.table.nodeUpdated(c.node)
      else if (c.kind === 'left') out = this.table.nodeLeft(c.node, now)
      else out = this.table.reconcile(c.node, now)
      for (const e of out) events.push(e)
    }
    this.publishBatch(events)
  }

  /**
   * memberlist NotifyConflict (spec §5.11): `other` claims the name of `existing`. The member table
   * is not touched (swim ignored the alive). Reported as a `member.conflict` event and counted.
   * About our own name, Serf runs the `_serf_conflict` query and shuts down if in the minority; that
   * resolution belongs to the queries issue (not built yet), so here it is reported as
   * ERR_MEMBER_NAME_CONFLICT_UNRESOLVED and the node keeps running: nothing is decided without a vote.
   */
  nameConflict(existing: NodeInfo, other: NameConflictClaimant): void {
    const event = describeNameConflict(this.config.nodeName, this.config.enableNameConflictResolution, existing, other)
    if (event.local) this.counters.nameConflictsLocal++
    else this.counters.nameConflictsRemote++
    this.ports.emit(event)
  }

  /** memberlist NotifyMsg: a Serf message (`[serfType][body]`). */
  userMessage(bytes: Uint8Array): void {
    if (bytes.length === 0) {
      this.counters.malformedMessages++
      return
    }
    const t = bytes[0]!
    if (t !== SERF_LEAVE && t !== SERF_JOIN) {
      this.counters.passedThrough++
      this.ports.emit({ type: 'member.serf-message', serfType: t, bytes })
      return
    }
    let msg
    try {
      msg = decodeSerfMessage(bytes)
    } catch {
      this.counters.malformedMessages++
      return
    }
    const now = this.ports.now()
    let result: IntentResult
    if (msg.type === 'leave') result = this.table.leaveIntent(msg.Node, msg.LTime, msg.Prune, now)
    else if (msg.type === 'join') result = this.table.joinIntent(msg.Node, msg.LTime, now)
    else return
    this.applyIntentResult(msg.Node, result)
    if (result.rebroadcast) {
      // Re-queue the exact received bytes (a copy: the caller may reuse its buffer).
      this.counters.intentsRebroadcast++
      this.ports.enqueue({ queue: 'serf-intent', message: bytes.slice(), unique: true })
    }
    this.afterChange()
  }

  /** Serf LocalState for push/pull (spec §2.5): `[2][messagePushPull]`. */
  localUserState(_join: boolean): Uint8Array {
    const left = this.table.inStatus('left').map((r) => r.member.name)
    const pp: SerfPushPull = {
      type: 'pushPull',
      LTime: this.clock.time(),
      StatusLTimes: this.table.statusLTimes(),
      LeftMembers: left,
      EventLTime: this.eventClock.time(),
      // The event ring is not kept yet (user events are a later issue): every slot is nil, as in a
      // Serf node that has seen no events.
      Events: new Array(this.config.eventBuffer).fill(null),
      QueryLTime: this.queryClock.time(),
    }
    return encodeSerfMessage(pp)
  }

  /** Serf MergeRemoteState (spec §2.5). The events part is passed through for the event layer. */
  mergeRemoteState(bytes: Uint8Array, join: boolean): void {
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
    if (pp.EventLTime > 0n) this.eventClock.witness(pp.EventLTime - 1n)
    if (pp.QueryLTime > 0n) this.queryClock.witness(pp.QueryLTime - 1n)
    const now = this.ports.now()
    // Left members first, one past their join time (the leave must have come after it).
    const leftSet = new Set(pp.LeftMembers ?? [])
    for (const name of leftSet) {
      const r = this.table.leaveIntent(name, (pp.StatusLTimes.get(name) ?? 0n) + 1n, false, now)
      this.applyIntentResult(name, r)
    }
    for (const [name, ltime] of pp.StatusLTimes) {
      if (leftSet.has(name)) continue
      this.applyIntentResult(name, this.table.joinIntent(name, ltime, now))
    }
    this.counters.passedThrough++
    this.ports.emit({ type: 'member.serf-message', serfType: SERF_PUSH_PULL, bytes, join })
    this.afterChange()
  }

  // ------------------------------------------------------------------------------- from API

  members(statuses?: readonly MemberStatus[]): { members: Member[]; counts: MemberCounts } {
    return { members: this.table.members(statuses), counts: this.table.counts() }
  }

  /** Serf SetTags: validate the Meta size (throws TagsTooLargeError), then memberlist UpdateNode via swim. */
  setTags(tags: Record<string, string>): void {
    const next = { ...tags }
    const meta = encodeTags(next, this.config.protocolVersion)
    this.meta.tags = next
    this.ports.emit({ type: 'member.local-meta-changed', meta })
  }

  get localTags(): Readonly<Record<string, string>> {
    return this.meta.tags
  }

  /**
   * A memberlist join finished with `numJoined` successful contacts. For a user's join (Serf.Join's
   * tail) a success broadcasts a join intent at the current time. A reconnect join (`reconnect`,
   * Serf's reconnect, which calls only memberlist.Join) broadcasts nothing; neither does a join that
   * completes once we are leaving or left (Serf.Join refuses after Leave): its intent would carry a
   * newer LTime than our leave intent, set us back to alive at the peers, and make the memberlist
   * leave that follows look like a failure.
   */
  joinCompleted(numJoined: number, reconnect = false): void {
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
   * First step of Serf.Leave (spec §5.4): process our own leave intent, broadcast it, and say whether
   * to wait for it to spread (only if another member is alive). The snapshotter records `leave`.
   */
  beginLeave(notifyTo: string): { waitForBroadcast: boolean; notifyId: string } {
    this.table.localState = 'leaving'
    this.ports.snapshot({ type: 'snapshot.leave' })
    const ltime = this.clock.time()
    this.clock.increment()
    const name = this.config.nodeName
    this.applyIntentResult(name, this.table.leaveIntent(name, ltime, false, this.ports.now()))
    const notifyId = `leave-${++this.meta.leaveSeq}`
    const waitForBroadcast = this.hasOtherAliveMembers()
    const broadcast: Broadcast = { queue: 'serf-intent', message: encodeSerfMessage({ type: 'leave', LTime: ltime, Node: name, Prune: false }), unique: true }
    if (waitForBroadcast) broadcast.notify = { to: notifyTo, id: notifyId }
    this.ports.enqueue(broadcast)
    this.afterChange()
    return { waitForBroadcast, notifyId }
  }

  /** Last step of Serf.Leave: our state is left. */
  finishLeave(): void {
    if (this.table.localState !== 'shutdown') this.table.localState = 'left'
  }

  shutdown(): void {
    this.table.localState = 'shutdown'
  }

  // --------------------------------------------------------------------------------- timers

  /** Reap tick (spec §5.6). */
  reapTick(): void {
    const c = this.config
    this.publish(this.table.reap(this.ports.now(), c.reconnectTimeoutMs, c.tombstoneTimeoutMs, c.recentIntentTimeoutMs))
  }

  /**
   * Reconnect tick (spec §5.6): maybe ask swim to join one failed member. Nothing once we are leaving,
   * left or shut down: the node is going away, so a rejoin cannot help, and its push/pull would only
   * race with the leave. (Serf's reconnect goroutine runs until Shutdown, but its joins never send an
   * intent; here the runner also pauses its reconnect timer once the leave starts.)
   */
  reconnectTick(): void {
    if (this.table.localState !== 'alive') return
    const { target } = chooseReconnect(this.table, this.ports.random)
    if (target === undefined) return
    this.counters.reconnectAttempts++
    this.ports.emit({ type: 'member.reconnect', name: target.name, addr: target.addr, port: target.port })
  }

  pruneDue(name: string): void {
    this.publish(this.table.pruneDue(name))
  }

  stats(): Omit<MemberStatsReply, 'type'> {
    return {
      counts: this.table.counts(),
      memberTime: this.clock.time(),
      intentsBuffered: this.intents.size,
      intentsStale: this.table.metrics.staleIntents,
      malformedMessages: this.counters.malformedMessages,
      passedThrough: this.counters.passedThrough,
      reconnectAttempts: this.counters.reconnectAttempts,
      reaped: this.table.metrics.reaped,
      intentsEvicted: this.intents.evicted,
      intentsExpired: this.intents.expired,
      intentsRebroadcast: this.counters.intentsRebroadcast,
      leaveRefutations: this.counters.leaveRefutations,
      flaps: this.table.metrics.flaps,
      malformedMeta: this.table.metrics.malformedMeta,
      ignoredNotices: this.table.metrics.ignoredNotices,
      nameConflicts: { remote: this.counters.nameConflictsRemote, local: this.counters.nameConflictsLocal },
      joinsWithoutIntent: { reconnect: this.counters.reconnectJoins, notAlive: this.counters.joinsNotAlive },
    }
  }

  // -------------------------------------------------------------------------------- private

  private hasOtherAliveMembers(): boolean {
    for (const m of this.table.members(['alive'])) if (m.name !== this.config.nodeName) return true
    return false
  }

  /** Serf broadcastJoin: witness, apply locally, queue on the intent queue. */
  private broadcastJoin(ltime: LamportTime): void {
    const name = this.config.nodeName
    this.clock.witness(ltime)
    this.applyIntentResult(name, this.table.joinIntent(name, ltime, this.ports.now()))
    this.ports.enqueue({ queue: 'serf-intent', message: encodeSerfMessage({ type: 'join', LTime: ltime, Node: name }), unique: true })
    this.afterChange()
  }

  private applyIntentResult(name: string, r: IntentResult): void {
    if (r.outcome === 'refuted') {
      this.counters.leaveRefutations++
      this.broadcastJoin(this.clock.time())
    }
    if (r.pruneAfterMs !== undefined) this.ports.schedulePrune(name, r.pruneAfterMs)
    this.publish(r.events)
  }

  /** Forwards member events to subscribers and the snapshotter, then the clock and the size. */
  private publish(events: readonly MemberEvent[]): void {
    for (const e of events) {
      this.ports.emit({ type: 'member.event', event: e.event, members: [e.member] })
      if (e.event === 'member-join') this.ports.snapshot({ type: 'snapshot.member-alive', name: e.member.name, addr: e.member.addr, port: e.member.port })
      else if (e.event === 'member-leave' || e.event === 'member-failed') this.ports.snapshot({ type: 'snapshot.member-not-alive', name: e.member.name })
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
        this.ports.emit({ type: 'member.event', event: e.event, members: run })
        run = []
      }
      if (e.event === 'member-join') records.push({ kind: 'member-alive', name: e.member.name, addr: e.member.addr, port: e.member.port })
      else if (e.event === 'member-leave' || e.event === 'member-failed') records.push({ kind: 'member-not-alive', name: e.member.name })
    }
    if (records.length > 0) this.ports.snapshot({ type: 'snapshot.records', records })
    this.afterChange()
  }

  /** The snapshot clock line and the Serf cluster size follow every change. */
  private afterChange(): void {
    const lastUsed = this.clock.time() - 1n
    if (lastUsed > this.meta.lastSnapshotClock) {
      this.meta.lastSnapshotClock = lastUsed
      this.ports.snapshot({ type: 'snapshot.clock', ltime: lastUsed })
    }
    const size = this.table.size
    if (size !== this.meta.lastClusterSize) {
      this.meta.lastClusterSize = size
      this.ports.clusterSize(size)
    }
  }
}

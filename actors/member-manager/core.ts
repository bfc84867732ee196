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
 * The turn's working copy and what inputs share are core-turn.ts's; this file holds the inputs.
 *
 * Reads (the member list, push/pull LocalState, stats) are plain functions of the state
 * (member-reads.ts).
 */
import { decodeSerfMessage, encodeSerfMessage } from '../../src/wire/index.ts'
import type { Broadcast } from '../gossip-queue/protocol.ts'
import type { LamportTime, NodeChange } from './protocol.ts'
import type { SerfConfig } from './config.ts'
import { emptyIntents } from './intents.ts'
import { emptyTable } from './member-record.ts'
import type { IntentResult, MemberEvent } from './member-record.ts'
import { encodeTags } from './tags.ts'
import { chooseReconnect } from './reconnect.ts'
import { describeNameConflict } from './name-conflict.ts'
import { freshCounters, Turn } from './core-turn.ts'
import type { MemberCoreInput, MemberCoreState, MemberStep } from './member-effects.ts'

export { freshCounters } from './core-turn.ts'

/** Serf message type bytes handled here (spec §5.1). */
const SERF_LEAVE = 0
const SERF_JOIN = 1
const SERF_PUSH_PULL = 2

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
  apply(t, input)
  return { state: t.finish(), effects: t.effects }
}

/** One input applied to one turn. */
function apply(t: Turn, input: MemberCoreInput): void {
  if ('now' in input && typeof input.now === 'number') t.now = input.now
  switch (input.type) {
    case 'start':
      return start(t, input.restored)
    case 'node-joined':
      return t.publish(t.table.nodeJoined(input.node, t.now))
    case 'node-updated':
      return t.publish(t.table.nodeUpdated(input.node))
    case 'node-left':
      return t.publish(t.table.nodeLeft(input.node, t.now))
    case 'nodes-changed':
      return nodeChanges(t, input.changes)
    case 'name-conflict':
      return nameConflict(t, input)
    case 'user-message':
      return userMessage(t, input.bytes)
    case 'merge-remote-state':
      return mergeRemoteState(t, input.bytes, input.join)
    case 'set-tags':
      return setTags(t, input.tags)
    case 'join-completed':
      return joinCompleted(t, input.numJoined, input.reconnect)
    case 'begin-leave':
      return beginLeave(t, input.notifyTo)
    case 'finish-leave':
      if (t.table.localState !== 'shutdown') t.table.localState = 'left'
      return
    case 'shutdown':
      t.table.localState = 'shutdown'
      return
    case 'reap-tick': {
      const c = t.config
      return t.publish(t.table.reap(t.now, c.reconnectTimeoutMs, c.tombstoneTimeoutMs, c.recentIntentTimeoutMs))
    }
    case 'reconnect-tick':
      return reconnectTick(t, input.random)
    case 'prune-due':
      return t.publish(t.table.pruneDue(input.name))
    case 'force-leave':
      return forceLeave(t, input.node, input.prune, input.notifyTo, input.notifyId)
    case 'event-state':
      t.eventState = { eventLTime: input.eventLTime, events: input.events, queryLTime: input.queryLTime }
      return
    default: {
      const unknown: never = input
      return unknown
    }
  }
}

/**
 * Serf create: the member clock starts at 1; a restored snapshot clock is then witnessed (spec
 * §5.3). The event and query clocks start in serf-events (event-clock.ts startClock).
 */
function start(t: Turn, restored: { clock?: LamportTime }): void {
  if (t.meta.started) return
  t.setMeta({ started: true })
  t.clock.increment()
  if (restored.clock !== undefined) t.clock.witness(restored.clock)
  // swim advertises this Meta in its alive messages.
  t.effects.push({ type: 'tell-swim', msg: { type: 'member.local-meta-changed', meta: t.localMeta() } })
}

/**
 * A batch of swim's node changes (`member.nodes-changed`), applied in order like the single
 * notices, then published together: one `member.event` per run of events of one type (Serf, too,
 * coalesces member events), one `snapshot.records`, one size. A batch holds at most
 * MAX_NODE_CHANGES, so what it sends onward is bounded by the same.
 */
function nodeChanges(t: Turn, changes: readonly NodeChange[]): void {
  const events: MemberEvent[] = []
  for (const c of changes) {
    let out: MemberEvent[]
    if (c.kind === 'joined') out = t.table.nodeJoined(c.node, t.now)
    else if (c.kind === 'updated') out = t.table.nodeUpdated(c.node)
    else if (c.kind === 'left') out = t.table.nodeLeft(c.node, t.now)
    else out = t.table.reconcile(c.node, t.now)
    for (const e of out) events.push(e)
  }
  t.publishBatch(events)
}

/**
 * memberlist NotifyConflict (spec §5.11): reported as a `member.conflict` event and counted; the
 * table is not touched (swim ignored the alive). About our own name Serf runs the `_serf_conflict`
 * vote: serf-events holds it (it owns queries), so the conflict is handed over (name-conflict.ts).
 */
function nameConflict(t: Turn, input: Extract<MemberCoreInput, { type: 'name-conflict' }>): void {
  const event = describeNameConflict(t.config.nodeName, t.config.enableNameConflictResolution, input.existing, input.other)
  if (event.local) t.counters.nameConflictsLocal++
  else t.counters.nameConflictsRemote++
  t.effects.push({ type: 'event', msg: event })
  if (event.local && t.config.enableNameConflictResolution) {
    t.effects.push({ type: 'serf-events', msg: { type: 'serf.name-conflict', other: { addr: input.other.addr.slice(), port: input.other.port } } })
  }
}

/** memberlist NotifyMsg: a Serf message (`[serfType][body]`). */
function userMessage(t: Turn, bytes: Uint8Array): void {
  if (bytes.length === 0) {
    t.counters.malformedMessages++
    return
  }
  const serfType = bytes[0]!
  if (serfType !== SERF_LEAVE && serfType !== SERF_JOIN) {
    // User events, queries, responses, relays: serf-events' (it counts what it cannot use).
    t.counters.passedThrough++
    t.effects.push({ type: 'serf-events', msg: { type: 'serf.message', bytes, from: '' } })
    return
  }
  let msg
  try {
    msg = decodeSerfMessage(bytes)
  } catch {
    t.counters.malformedMessages++
    return
  }
  let result: IntentResult
  if (msg.type === 'leave') result = t.table.leaveIntent(msg.Node, msg.LTime, msg.Prune, t.now)
  else if (msg.type === 'join') result = t.table.joinIntent(msg.Node, msg.LTime, t.now)
  else return
  t.applyIntentResult(msg.Node, result)
  if (result.rebroadcast) {
    // Re-queue the exact received bytes (a copy: the caller may reuse its buffer).
    t.counters.intentsRebroadcast++
    t.enqueue({ queue: 'serf-intent', message: bytes.slice(), unique: true })
  }
  t.afterChange()
}

/** Serf MergeRemoteState (spec §2.5). The event part (clocks, ring) goes to serf-events. */
function mergeRemoteState(t: Turn, bytes: Uint8Array, join: boolean): void {
  if (bytes.length === 0 || bytes[0] !== SERF_PUSH_PULL) {
    t.counters.malformedMessages++
    return
  }
  let pp
  try {
    pp = decodeSerfMessage(bytes)
  } catch {
    t.counters.malformedMessages++
    return
  }
  if (pp.type !== 'pushPull') return
  // No message with the remote LTime has been sent yet, hence − 1.
  if (pp.LTime > 0n) t.clock.witness(pp.LTime - 1n)
  // Left members first, one past their join time (the leave must have come after it).
  const leftSet = new Set(pp.LeftMembers ?? [])
  for (const name of leftSet) {
    const r = t.table.leaveIntent(name, (pp.StatusLTimes.get(name) ?? 0n) + 1n, false, t.now)
    t.applyIntentResult(name, r)
  }
  for (const [name, ltime] of pp.StatusLTimes) {
    if (leftSet.has(name)) continue
    t.applyIntentResult(name, t.table.joinIntent(name, ltime, t.now))
  }
  t.counters.passedThrough++
  t.effects.push({ type: 'serf-events', msg: { type: 'serf.merge-remote-events', eventLTime: pp.EventLTime, events: pp.Events, queryLTime: pp.QueryLTime, join } })
  t.afterChange()
}

/** Serf SetTags: validate the Meta size (a TagsTooLargeError fails the request), then UpdateNode via swim. */
function setTags(t: Turn, tags: Record<string, string>): void {
  const next = { ...tags }
  let meta: Uint8Array
  try {
    meta = encodeTags(next, t.config.protocolVersion)
  } catch (err) {
    t.effects.push({ type: 'rejected', error: err as Error })
    return
  }
  t.setMeta({ tags: next })
  t.publish(t.table.setLocalTags(next))
  t.effects.push({ type: 'tell-swim', msg: { type: 'member.local-meta-changed', meta } })
}

/**
 * A memberlist join finished with `numJoined` successful contacts. For a user's join (Serf.Join's
 * tail) a success broadcasts a join intent at the current time. A reconnect join (Serf's
 * reconnect, which calls only memberlist.Join) broadcasts nothing; neither does a join that
 * completes once we are leaving or left (Serf.Join refuses after Leave): its intent would carry a
 * newer LTime than our leave intent, set us back to alive at the peers, and make the memberlist
 * leave that follows look like a failure.
 */
function joinCompleted(t: Turn, numJoined: number, reconnect: boolean): void {
  if (numJoined <= 0) return
  if (reconnect) {
    t.counters.reconnectJoins++
    return
  }
  if (t.table.localState !== 'alive') {
    t.counters.joinsNotAlive++
    return
  }
  t.broadcastJoin(t.clock.time())
}

/**
 * First step of Serf.Leave (spec §5.4): process our own leave intent, broadcast it, and note (in
 * `leave`) whether to wait for it to spread (only if another member is alive) and the id
 * gossip-queue reports it under. The snapshotter records `leave`.
 */
function beginLeave(t: Turn, notifyTo: string): void {
  t.table.localState = 'leaving'
  t.effects.push({ type: 'snapshot', msg: { type: 'snapshot.leave' } })
  const ltime = t.clock.time()
  t.clock.increment()
  const name = t.config.nodeName
  t.applyIntentResult(name, t.table.leaveIntent(name, ltime, false, t.now))
  const leaveSeq = t.meta.leaveSeq + 1
  t.setMeta({ leaveSeq })
  const notifyId = `leave-${leaveSeq}`
  const waitForBroadcast = t.hasOtherAliveMembers()
  const broadcast: Broadcast = { queue: 'serf-intent', message: encodeSerfMessage({ type: 'leave', LTime: ltime, Node: name, Prune: false }), unique: true }
  if (waitForBroadcast) broadcast.notify = { to: notifyTo, id: notifyId }
  t.enqueue(broadcast)
  t.leave = { notifyId, waitForBroadcast }
  t.afterChange()
}

/**
 * Serf forceLeave (RemoveFailedNode / -prune): a leave intent for `node` at our member clock,
 * processed as if received (a failed member becomes left, or is erased with Prune; an alive one
 * leaving; an unknown name only recorded as an intent: none of it an error, as in Serf), then
 * broadcast, unless no other member is alive (Serf returns at once then, broadcasting nothing).
 * The caller's answer waits for the broadcast (`await-broadcast`).
 */
function forceLeave(t: Turn, node: string, prune: boolean, notifyTo: string, notifyId: string): void {
  const ltime = t.clock.time()
  t.clock.increment()
  t.applyIntentResult(node, t.table.leaveIntent(node, ltime, prune, t.now))
  if (t.hasOtherAliveMembers()) {
    t.enqueue({ queue: 'serf-intent', message: encodeSerfMessage({ type: 'leave', LTime: ltime, Node: node, Prune: prune }), unique: true, notify: { to: notifyTo, id: notifyId } })
    t.effects.push({ type: 'await-broadcast', id: notifyId })
  }
  t.afterChange()
}

/**
 * Reconnect tick (spec §5.6): maybe ask swim to join one failed member. Nothing once we are leaving,
 * left or shut down: the node is going away, so a rejoin cannot help, and its push/pull would only
 * race with the leave.
 */
function reconnectTick(t: Turn, random: Extract<MemberCoreInput, { type: 'reconnect-tick' }>['random']): void {
  if (t.table.localState !== 'alive') return
  const { target } = chooseReconnect(t.table, random)
  if (target === undefined) return
  t.counters.reconnectAttempts++
  t.effects.push({ type: 'tell-swim', msg: { type: 'member.reconnect', name: target.name, addr: target.addr, port: target.port } })
}

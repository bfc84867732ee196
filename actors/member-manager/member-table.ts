/**
 * MemberTable: THE member table of a node (Serf's member layer, spec §5.4-5.6). It is the only store
 * of membership: the failed and left "lists" of Serf are views over this one map (by status), and
 * the counts are kept by the single method that changes a status, so a reap, a leave and a count can
 * never disagree (lesson 000). Every write returns the member events it caused; the actor forwards
 * them (event stream, snapshotter). Pure: time comes in as `nowMs`, the Lamport clock and the intent
 * buffer are handed in by the owning actor.
 *
 * The table's state (TableState) is plain, persistent data: the records live in a CowMap and a
 * record is never changed in place (a write replaces the record with a changed copy: copy-on-write
 * of only the changed members). A MemberTable is an editor over one version for one turn (or, in
 * tests, for as long as they like); `finish()` gives the next version, and the version it started
 * from, which an XState context or a persisted snapshot may still hold, stays as it was.
 */
import type { LamportTime, Member, MemberCounts, MemberEventType, MemberStatus, NodeInfo } from './protocol.ts'
import type { LamportClock } from './lamport.ts'
import type { RecentIntents } from './intents.ts'
import { decodeTags, tagsEqual } from './tags.ts'
import { MapDraft } from './cow-map.ts'
import type { IntentResult, LocalSerfState, MemberEvent, MemberRecord, TableMetrics, TableState } from './member-record.ts'
import { cloneMember, copyRecord, emptyTable, pushPullLTime, sameCounts, sameMetrics, versions } from './member-record.ts'

export interface MemberTableOptions {
  localName: string
  clock: LamportClock
  intents: RecentIntents
  /** Prune of a leaving member waits BroadcastTimeout + LeavePropagateDelay. */
  pruneDelayMs: number
  /** A failed member that rejoins within this counts as a flap (metric). */
  flapTimeoutMs: number
}

const STATUS_KEYS = ['alive', 'leaving', 'left', 'failed'] as const

export class MemberTable {
  private readonly records: MapDraft<MemberRecord>
  /** Records this editor made (new, or copied before a write): written in place until `finish()`. */
  private owned: Set<MemberRecord> | undefined
  private readonly byStatus: MemberCounts
  private downSeq: number
  /** Serf's own state; a leave intent about ourselves is refuted only while alive. */
  localState: LocalSerfState
  readonly metrics: TableMetrics

  constructor(
    private readonly opts: MemberTableOptions,
    private readonly base: TableState = emptyTable(),
  ) {
    this.records = new MapDraft(base.records)
    this.byStatus = { ...base.byStatus }
    this.downSeq = base.downSeq
    this.localState = base.localState
    this.metrics = { ...base.metrics }
  }

  /** The next version (the base itself when nothing changed). Later writes copy again. */
  finish(): TableState {
    const b = this.base
    const same =
      !this.records.changed &&
      this.downSeq === b.downSeq &&
      this.localState === b.localState &&
      sameMetrics(this.metrics, b.metrics) &&
      sameCounts(this.byStatus, b.byStatus)
    if (same) return b
    this.owned = undefined
    return { records: this.records.finish(), byStatus: { ...this.byStatus }, downSeq: this.downSeq, localState: this.localState, metrics: { ...this.metrics } }
  }

  /** The record of `name`, writable: copied (with its member) unless this editor made it. */
  private edit(name: string): MemberRecord | undefined {
    const r = this.records.get(name)
    if (r === undefined || this.owned?.has(r) === true) return r
    const mine = copyRecord(r)
    ;(this.owned ??= new Set()).add(mine)
    this.records.set(name, mine)
    return mine
  }

  // ----------------------------------------------------------------------------------- reads

  get size(): number {
    return this.records.size
  }

  counts(): MemberCounts {
    return { ...this.byStatus }
  }

  get(name: string): Readonly<MemberRecord> | undefined {
    return this.records.get(name)
  }

  members(statuses?: readonly MemberStatus[]): Member[] {
    const out: Member[] = []
    for (const r of this.records.values()) if (statuses === undefined || statuses.includes(r.member.status)) out.push(cloneMember(r.member))
    return out
  }

  /** Members in `status`, in the order they entered it (Serf's failedMembers / leftMembers). */
  inStatus(status: 'failed' | 'left'): Readonly<MemberRecord>[] {
    const out: MemberRecord[] = []
    this.records.forEach((r) => {
      if (r.member.status === status) out.push(r)
    })
    return out.sort((a, b) => a.downSeq - b.downSeq)
  }

  /** What push/pull's `StatusLTimes` says of every member (pushPullLTime). */
  statusLTimes(): Map<string, LamportTime> {
    const m = new Map<string, LamportTime>()
    for (const e of this.records.entries()) m.set(e.k, pushPullLTime(e.v))
    return m
  }

  // ---------------------------------------------------------------------- writes from swim

  /** memberlist NotifyJoin (spec §5.5): create (alive, or leaving if a leave is buffered) or revive. */
  nodeJoined(node: NodeInfo, nowMs: number): MemberEvent[] {
    let r = this.edit(node.name)
    const tags = this.tagsOf(node)
    if (r === undefined) {
      r = {
        member: { name: node.name, addr: node.addr.slice(), port: node.port, tags, status: 'none', ...versions(node) },
        statusLTime: 0n,
        leaveTimeMs: undefined,
        downSeq: 0,
      }
      ;(this.owned ??= new Set()).add(r)
      this.records.set(node.name, r)
      this.byStatus.total++
      let status: MemberStatus = 'alive'
      const join = this.opts.intents.get(node.name, 'join')
      if (join !== undefined) r.statusLTime = join
      const leave = this.opts.intents.get(node.name, 'leave')
      if (leave !== undefined) {
        status = 'leaving'
        r.aliveLTime = r.statusLTime
        r.statusLTime = leave
      }
      this.setStatus(r, status)
    } else {
      if (r.member.status === 'failed' && r.leaveTimeMs !== undefined && nowMs - r.leaveTimeMs < this.opts.flapTimeoutMs) this.metrics.flaps++
      Object.assign(r.member, { addr: node.addr.slice(), port: node.port, tags, ...versions(node) })
      r.leaveTimeMs = undefined
      this.setStatus(r, 'alive')
    }
    return [{ event: 'member-join', member: cloneMember(r.member) }]
  }

  /** memberlist NotifyLeave: leaving → left, alive → failed; any other status is ignored. */
  nodeLeft(node: NodeInfo, nowMs: number): MemberEvent[] {
    const seen = this.records.get(node.name)
    if (seen === undefined || (seen.member.status !== 'leaving' && seen.member.status !== 'alive')) {
      this.metrics.ignoredNotices++
      return []
    }
    const r = this.edit(node.name)!
    let event: MemberEventType
    if (r.member.status === 'leaving') {
      this.setStatus(r, 'left')
      event = 'member-leave'
    } else if (r.member.status === 'alive') {
      this.setStatus(r, 'failed')
      event = 'member-failed'
    } else {
      this.metrics.ignoredNotices++
      return []
    }
    r.leaveTimeMs = nowMs
    r.downSeq = ++this.downSeq
    return [{ event, member: cloneMember(r.member) }]
  }

  /** memberlist NotifyUpdate: refresh address, tags and versions; emits member-update. */
  nodeUpdated(node: NodeInfo): MemberEvent[] {
    const local = node.name === this.opts.localName
    const seen = this.records.get(node.name)
    // Our own tags are set here first (setLocalTags); swim's update of our node only echoes the Meta
    // we told it, maybe an older one when two set-tags came close: it changes nothing that shows.
    if (local && seen !== undefined && this.sameNode(seen.member, node, seen.member.tags)) return []
    const r = this.edit(node.name)
    if (r === undefined) {
      this.metrics.ignoredNotices++
      return []
    }
    Object.assign(r.member, { addr: node.addr.slice(), port: node.port, tags: local ? r.member.tags : this.tagsOf(node), ...versions(node) })
    return [{ event: 'member-update', member: cloneMember(r.member) }]
  }

  /**
   * Serf's SetTags: memberlist's UpdateNode runs NotifyUpdate for the local node before it returns,
   * so the local member shows the new tags (one member-update) by the time SetTags does. Nothing
   * before the local node has joined, and nothing when the tags are the same.
   */
  setLocalTags(tags: Readonly<Record<string, string>>): MemberEvent[] {
    const seen = this.records.get(this.opts.localName)
    if (seen === undefined || tagsEqual(seen.member.tags, tags)) return []
    const r = this.edit(this.opts.localName)!
    r.member.tags = { ...tags }
    return [{ event: 'member-update', member: cloneMember(r.member) }]
  }

  /**
   * A resync (NodeChange `state`): swim holds `node` in `node.state` now, and some of its notices may
   * never have arrived. Brings the member where those notices would have: a node alive or suspect
   * in swim is an alive member (joined if unknown, failed or left; updated if its address, tags or
   * versions differ); a dead or left one is not alive (a leave notice for an alive or leaving
   * member). Only what differed produces events, so a resync of a table that agrees is silent.
   * A dead or left node the table does not know is not added: it may have been pruned or reaped
   * here on purpose (a leave with Prune), and Serf never lists a node it did not see alive.
   */
  reconcile(node: NodeInfo, nowMs: number): MemberEvent[] {
    const r = this.records.get(node.name)
    const aliveInSwim = node.state === 'alive' || node.state === 'suspect'
    if (!aliveInSwim) {
      if (r === undefined || (r.member.status !== 'alive' && r.member.status !== 'leaving')) return []
      return this.nodeLeft(node, nowMs)
    }
    if (r === undefined || (r.member.status !== 'alive' && r.member.status !== 'leaving')) return this.nodeJoined(node, nowMs)
    return this.sameNode(r.member, node) ? [] : this.nodeUpdated(node)
  }

  // ------------------------------------------------------------------------------- intents

  /** A join intent (spec §5.4). Witnesses the clock first, as Serf does for every intent. */
  joinIntent(node: string, ltime: LamportTime, nowMs: number): IntentResult {
    this.opts.clock.witness(ltime)
    const r = this.records.get(node)
    if (r === undefined) {
      const stored = this.opts.intents.upsert(node, 'join', ltime, nowMs)
      if (!stored) this.metrics.staleIntents++
      return { rebroadcast: stored, outcome: stored ? 'buffered' : 'stale', events: [] }
    }
    if (ltime <= r.statusLTime) {
      this.metrics.staleIntents++
      return { rebroadcast: false, outcome: 'stale', events: [] }
    }
    const w = this.edit(node)!
    w.statusLTime = ltime
    if (w.member.status === 'leaving') this.setStatus(w, 'alive')
    return { rebroadcast: true, outcome: 'applied', events: [] }
  }

  /** A leave intent (spec §5.4). */
  leaveIntent(node: string, ltime: LamportTime, prune: boolean, nowMs: number): IntentResult {
    this.opts.clock.witness(ltime)
    const seen = this.records.get(node)
    if (seen === undefined) {
      const stored = this.opts.intents.upsert(node, 'leave', ltime, nowMs)
      if (!stored) this.metrics.staleIntents++
      return { rebroadcast: stored, outcome: stored ? 'buffered' : 'stale', events: [] }
    }
    if (ltime <= seen.statusLTime) {
      this.metrics.staleIntents++
      return { rebroadcast: false, outcome: 'stale', events: [] }
    }
    if (node === this.opts.localName && this.localState === 'alive') {
      // Someone says we are leaving while we are not: the caller broadcasts a join at clock.time().
      return { rebroadcast: false, outcome: 'refuted', events: [] }
    }
    const r = this.edit(node)!
    if (r.member.status === 'alive') r.aliveLTime = r.statusLTime
    // Always record the time, even when the status does not change, so a repeat is stale (no
    // endless rebroadcast of a leave about a member already leaving or left).
    r.statusLTime = ltime
    const events: MemberEvent[] = []
    let pruneAfterMs: number | undefined
    switch (r.member.status) {
      case 'alive':
        this.setStatus(r, 'leaving')
        break
      case 'failed':
        this.setStatus(r, 'left')
        r.downSeq = ++this.downSeq
        events.push({ event: 'member-leave', member: cloneMember(r.member) })
        break
      case 'leaving':
      case 'left':
        break
      default:
        return { rebroadcast: false, outcome: 'ignored', events: [] }
    }
    if (prune) {
      if (r.member.status === 'leaving') pruneAfterMs = this.opts.pruneDelayMs
      else events.push(...this.erase(node))
    }
    const result: IntentResult = { rebroadcast: true, outcome: 'applied', events }
    if (pruneAfterMs !== undefined) result.pruneAfterMs = pruneAfterMs
    return result
  }

  // --------------------------------------------------------------------------------- reaping

  /**
   * Serf's reap tick (spec §5.6): erase failed members past `reconnectTimeoutMs` and left members
   * past `tombstoneTimeoutMs` (strictly greater, as Serf), and expire old buffered intents.
   */
  reap(nowMs: number, reconnectTimeoutMs: number, tombstoneTimeoutMs: number, recentIntentTimeoutMs: number): MemberEvent[] {
    const events: MemberEvent[] = []
    for (const [status, timeout] of [
      ['failed', reconnectTimeoutMs],
      ['left', tombstoneTimeoutMs],
    ] as const) {
      for (const r of this.inStatus(status)) {
        if (r.leaveTimeMs !== undefined && nowMs - r.leaveTimeMs > timeout) events.push(...this.erase(r.member.name))
      }
    }
    this.opts.intents.expire(nowMs, recentIntentTimeoutMs)
    return events
  }

  /** A scheduled prune came due: erase the member unless it came back to life meanwhile. */
  pruneDue(name: string): MemberEvent[] {
    const r = this.records.get(name)
    if (r === undefined || r.member.status === 'alive') return []
    return this.erase(name)
  }

  /** Removes a member from the table (member-reap). The only delete in this file. */
  erase(name: string): MemberEvent[] {
    const r = this.records.get(name)
    if (r === undefined) return []
    this.countStatus(r.member.status, -1)
    this.byStatus.total--
    this.records.delete(name)
    this.metrics.reaped++
    return [{ event: 'member-reap', member: cloneMember(r.member) }]
  }

  /** Recounts from the map; tests use it to prove the kept counts never drift. */
  recount(): MemberCounts {
    const c: MemberCounts = { alive: 0, leaving: 0, left: 0, failed: 0, total: 0 }
    for (const r of this.records.values()) {
      c.total++
      if (r.member.status !== 'none') c[r.member.status]++
    }
    return c
  }

  // -------------------------------------------------------------------------------- private

  /** The single place a status changes, so the counts follow every change. */
  private setStatus(r: MemberRecord, status: MemberStatus): void {
    if (r.member.status === status) return
    this.countStatus(r.member.status, -1)
    r.member.status = status
    this.countStatus(status, +1)
  }

  private countStatus(status: MemberStatus, delta: number): void {
    if ((STATUS_KEYS as readonly string[]).includes(status)) this.byStatus[status as (typeof STATUS_KEYS)[number]] += delta
  }

  /** The member already shows what swim reports about `node` (address, versions, and its tags or `tags`). */
  private sameNode(m: Member, node: NodeInfo, tags?: Readonly<Record<string, string>>): boolean {
    if (m.port !== node.port || m.addr.length !== node.addr.length || !m.addr.every((b, i) => b === node.addr[i])) return false
    const v = versions(node)
    if (v.protocolMin !== m.protocolMin || v.protocolMax !== m.protocolMax || v.protocolCur !== m.protocolCur) return false
    if (v.delegateMin !== m.delegateMin || v.delegateMax !== m.delegateMax || v.delegateCur !== m.delegateCur) return false
    return tagsEqual(tags ?? decodeTags(node.meta).tags, m.tags)
  }

  private tagsOf(node: NodeInfo): Record<string, string> {
    const { tags, error } = decodeTags(node.meta)
    if (error !== undefined) this.metrics.malformedMeta++
    return tags
  }
}

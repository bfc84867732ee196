/**
 * Serf agent's event coalescing (spec §5.8; serf-rpc §4.1), pure. Events are held and flushed
 * together when either timer fires: the quantum (coalescePeriod after the first held event) or the
 * quiescent one (quiescentPeriod after the latest; re-armed by every event). Periods of 0 turn a
 * coalescer off (events pass straight through), as in the Serf library.
 *
 * - Member events: per member, the last event type wins; a flush emits one event per type. A member
 *   whose last emitted event had the same type is skipped, unless it is member-update. (Go's
 *   0.9.4 coalescer never clears its pending map, so a member's stale update is re-emitted by
 *   every later flush; we clear it after each flush.)
 * - User events with CC set: per name, only the events with the newest LTime are kept (several
 *   with that same LTime all are); older ones are dropped, counted. CC false passes through.
 *
 * Timers are effects (`set-timer` with a stable id re-arms it); the caller feeds `timer` back.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import type { SerfEventsConfig } from './config.ts'
import type { MemberEventKind, SerfEventsEffect, Step, UserEventOut } from './effects.ts'

interface CoalesceWindow {
  /** When the quantum timer fires (ms), or null when nothing is held. */
  quantumAtMs: number | null
  quiescentAtMs: number | null
}
const IDLE: CoalesceWindow = { quantumAtMs: null, quiescentAtMs: null }

const timerIds = (prefix: string) => ({ quantum: `${prefix}:quantum`, quiescent: `${prefix}:quiescent` })

/** Arms the quantum once per batch and re-arms the quiescent timer. */
function hold(w: CoalesceWindow, nowMs: number, periodMs: number, quietMs: number, prefix: string): { window: CoalesceWindow; effects: SerfEventsEffect[] } {
  const ids = timerIds(prefix)
  const effects: SerfEventsEffect[] = []
  let quantumAtMs = w.quantumAtMs
  if (quantumAtMs === null) {
    quantumAtMs = nowMs + periodMs
    effects.push({ type: 'set-timer', id: ids.quantum, atMs: quantumAtMs })
  }
  const quiescentAtMs = nowMs + quietMs
  effects.push({ type: 'set-timer', id: ids.quiescent, atMs: quiescentAtMs })
  return { window: { quantumAtMs, quiescentAtMs }, effects }
}

function cancelBoth(prefix: string): SerfEventsEffect[] {
  const ids = timerIds(prefix)
  return [
    { type: 'cancel-timer', id: ids.quantum },
    { type: 'cancel-timer', id: ids.quiescent },
  ]
}

/** Whether timer `id` is one this window has armed (a late or stale one is not). */
function armed(w: CoalesceWindow, id: string, prefix: string): boolean {
  const ids = timerIds(prefix)
  return (id === ids.quantum && w.quantumAtMs !== null) || (id === ids.quiescent && w.quiescentAtMs !== null)
}

// ---------------------------------------------------------------- member events

export const MEMBER_COALESCE_TIMER = 'coalesce-member'

export interface MemberCoalescerStats {
  held: number
  passedThrough: number
  /** Skipped at flush: the member's last emitted event had the same (non-update) type. */
  suppressed: number
  /** Replaced by a later event about the same member before the flush. */
  replaced: number
  flushes: number
  /** Flushes forced because maxCoalescedMembers members were held. */
  earlyFlushes: number
  /** "last emitted type" entries forgotten past maxCoalescedMembers (oldest first). */
  lastForgotten: number
  staleTimers: number
}

export interface MemberCoalescerState<M extends { name: string }> {
  window: CoalesceWindow
  latest: Map<string, { event: MemberEventKind; member: M }>
  last: Map<string, MemberEventKind>
  stats: MemberCoalescerStats
}

export type MemberCoalescerConfig = Pick<SerfEventsConfig, 'coalescePeriodMs' | 'quiescentPeriodMs' | 'maxCoalescedMembers'>

export function createMemberCoalescer<M extends { name: string }>(): MemberCoalescerState<M> {
  return { window: IDLE, latest: new Map(), last: new Map(), stats: { held: 0, passedThrough: 0, suppressed: 0, replaced: 0, flushes: 0, earlyFlushes: 0, lastForgotten: 0, staleTimers: 0 } }
}

/** A member event from the member table (one type, one or more members). */
export function coalesceMemberEvent<M extends { name: string }>(s: MemberCoalescerState<M>, ev: { event: MemberEventKind; members: M[] }, nowMs: number, cfg: MemberCoalescerConfig): Step<MemberCoalescerState<M>> {
  if (cfg.coalescePeriodMs <= 0 || cfg.quiescentPeriodMs <= 0) {
    return { state: { ...s, stats: { ...s.stats, passedThrough: s.stats.passedThrough + 1 } }, effects: [{ type: 'emit', event: { type: 'member-event', event: ev.event, members: [...ev.members] } }] }
  }
  const latest = new Map(s.latest)
  const stats = { ...s.stats }
  for (const m of ev.members) {
    if (latest.has(m.name)) stats.replaced++
    latest.delete(m.name) // keep "first held first" order to the latest event
    latest.set(m.name, { event: ev.event, member: m })
    stats.held++
  }
  if (latest.size >= cfg.maxCoalescedMembers) {
    const flushed = flushMembers({ ...s, latest, stats: { ...stats, earlyFlushes: stats.earlyFlushes + 1 } }, cfg)
    return { state: flushed.state, effects: [...cancelBoth(MEMBER_COALESCE_TIMER), ...flushed.effects] }
  }
  const h = hold(s.window, nowMs, cfg.coalescePeriodMs, cfg.quiescentPeriodMs, MEMBER_COALESCE_TIMER)
  return { state: { ...s, window: h.window, latest, stats }, effects: h.effects }
}

/** Emits what is held (one event per type, in order of first appearance) and resets the window. */
export function flushMembers<M extends { name: string }>(s: MemberCoalescerState<M>, cfg: Pick<MemberCoalescerConfig, 'maxCoalescedMembers'>): Step<MemberCoalescerState<M>> {
  const groups = new Map<MemberEventKind, M[]>()
  const last = new Map(s.last)
  const stats = { ...s.stats, flushes: s.stats.flushes + 1 }
  for (const [name, { event, member }] of s.latest) {
    if (last.get(name) === event && event !== 'member-update') {
      stats.suppressed++
      continue
    }
    last.delete(name)
    // A reaped member is gone; forgetting it keeps `last` to members that exist.
    if (event !== 'member-reap') last.set(name, event)
    const g = groups.get(event)
    if (g === undefined) groups.set(event, [member])
    else g.push(member)
  }
  while (last.size > cfg.maxCoalescedMembers) {
    last.delete(last.keys().next().value as string)
    stats.lastForgotten++
  }
  const effects: SerfEventsEffect[] = [...groups].map(([event, members]) => ({ type: 'emit', event: { type: 'member-event', event, members } }))
  return { state: { window: IDLE, latest: new Map(), last, stats }, effects }
}

/** A coalescing timer fired. A stale one (nothing armed under that id) is ignored, counted. */
export function memberCoalescerTimer<M extends { name: string }>(s: MemberCoalescerState<M>, id: string, cfg: MemberCoalescerConfig): Step<MemberCoalescerState<M>> {
  if (!armed(s.window, id, MEMBER_COALESCE_TIMER)) return { state: { ...s, stats: { ...s.stats, staleTimers: s.stats.staleTimers + 1 } }, effects: [] }
  const flushed = flushMembers(s, cfg)
  return { state: flushed.state, effects: [...cancelBoth(MEMBER_COALESCE_TIMER), ...flushed.effects] }
}

// ---------------------------------------------------------------- user events

export const USER_COALESCE_TIMER = 'coalesce-user'

export interface UserCoalescerStats {
  held: number
  passedThrough: number
  /** Dropped because an event of the same name with a newer LTime arrived (or was held). */
  superseded: number
  flushes: number
  earlyFlushes: number
  staleTimers: number
}

export interface UserCoalescerState {
  window: CoalesceWindow
  byName: Map<string, { ltime: LamportTime; events: UserEventOut[] }>
  /** Events currently held (sum over byName). */
  count: number
  stats: UserCoalescerStats
}

export type UserCoalescerConfig = Pick<SerfEventsConfig, 'userCoalescePeriodMs' | 'userQuiescentPeriodMs' | 'maxCoalescedUserEvents'>

export function createUserCoalescer(): UserCoalescerState {
  return { window: IDLE, byName: new Map(), count: 0, stats: { held: 0, passedThrough: 0, superseded: 0, flushes: 0, earlyFlushes: 0, staleTimers: 0 } }
}

export function coalesceUserEvent(s: UserCoalescerState, ev: UserEventOut, nowMs: number, cfg: UserCoalescerConfig): Step<UserCoalescerState> {
  if (!ev.coalesce || cfg.userCoalescePeriodMs <= 0 || cfg.userQuiescentPeriodMs <= 0) {
    return { state: { ...s, stats: { ...s.stats, passedThrough: s.stats.passedThrough + 1 } }, effects: [{ type: 'emit', event: ev }] }
  }
  const byName = new Map(s.byName)
  const stats = { ...s.stats }
  let count = s.count
  const cur = byName.get(ev.name)
  if (cur !== undefined && ev.ltime < cur.ltime) {
    stats.superseded++ // older than what is held: dropped
    return { state: { ...s, stats }, effects: [] }
  }
  if (cur === undefined || cur.ltime < ev.ltime) {
    if (cur !== undefined) {
      stats.superseded += cur.events.length
      count -= cur.events.length
    }
    byName.set(ev.name, { ltime: ev.ltime, events: [ev] })
  } else {
    byName.set(ev.name, { ltime: cur.ltime, events: [...cur.events, ev] })
  }
  count++
  stats.held++
  if (count >= cfg.maxCoalescedUserEvents) {
    const flushed = flushUserEvents({ ...s, byName, count, stats: { ...stats, earlyFlushes: stats.earlyFlushes + 1 } })
    return { state: flushed.state, effects: [...cancelBoth(USER_COALESCE_TIMER), ...flushed.effects] }
  }
  const h = hold(s.window, nowMs, cfg.userCoalescePeriodMs, cfg.userQuiescentPeriodMs, USER_COALESCE_TIMER)
  return { state: { ...s, window: h.window, byName, count, stats }, effects: h.effects }
}

export function flushUserEvents(s: UserCoalescerState): Step<UserCoalescerState> {
  const effects: SerfEventsEffect[] = []
  for (const { events } of s.byName.values()) for (const e of events) effects.push({ type: 'emit', event: e })
  return { state: { window: IDLE, byName: new Map(), count: 0, stats: { ...s.stats, flushes: s.stats.flushes + 1 } }, effects }
}

export function userCoalescerTimer(s: UserCoalescerState, id: string): Step<UserCoalescerState> {
  if (!armed(s.window, id, USER_COALESCE_TIMER)) return { state: { ...s, stats: { ...s.stats, staleTimers: s.stats.staleTimers + 1 } }, effects: [] }
  const flushed = flushUserEvents(s)
  return { state: flushed.state, effects: [...cancelBoth(USER_COALESCE_TIMER), ...flushed.effects] }
}

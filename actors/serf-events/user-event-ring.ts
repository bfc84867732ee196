/**
 * The receive side of user events (spec §5.8, Serf handleUserEvent): witness the event clock, drop
 * what is older than the min time or than the ring's window, dedupe in a ring of `eventBuffer`
 * slots keyed by LTime % size (each slot holds one LTime and the (Name, Payload) pairs seen at it),
 * then deliver and rebroadcast the exact received bytes. Pure: state in, state + effects out.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import type { SerfUserEvent, SerfPushPull, UserEventsSlot } from '../../src/wire/serf.ts'
import type { SerfEventsEffect, Step } from './effects.ts'
import { witnessClock, witnessRemoteClock } from './event-clock.ts'

export interface RingEvent {
  name: string
  payload: Uint8Array | null
}
export interface RingSlot {
  ltime: LamportTime
  events: RingEvent[]
}

export interface UserEventRingStats {
  delivered: number
  duplicates: number
  /** LTime older than the window `clock − size` (Serf's "received old event"). */
  tooOld: number
  /** LTime below the min time set by a snapshot replay or a join that ignores old events. */
  beforeMinTime: number
  /** A slot already held maxEventsPerSlot events at that LTime (our bound; Go has none). */
  slotFull: number
}

export interface UserEventRingState {
  /** The event Lamport clock (Serf eventClock). */
  clock: LamportTime
  minTime: LamportTime
  slots: (RingSlot | null)[]
  maxEventsPerSlot: number
  stats: UserEventRingStats
}

export type RingOutcome = 'delivered' | 'duplicate' | 'too-old' | 'before-min-time' | 'slot-full'

export function createUserEventRing(opts: { size: number; maxEventsPerSlot: number; clock: LamportTime; minTime: LamportTime }): UserEventRingState {
  return {
    clock: opts.clock,
    minTime: opts.minTime,
    slots: new Array<RingSlot | null>(opts.size).fill(null),
    maxEventsPerSlot: opts.maxEventsPerSlot,
    stats: { delivered: 0, duplicates: 0, tooOld: 0, beforeMinTime: 0, slotFull: 0 },
  }
}

/** bytes.Equal: nil and empty are equal. */
function samePayload(a: Uint8Array | null, b: Uint8Array | null): boolean {
  const x = a ?? EMPTY
  const y = b ?? EMPTY
  if (x.length !== y.length) return false
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}
const EMPTY = new Uint8Array(0)

const COUNTER: Record<Exclude<RingOutcome, 'delivered'>, keyof UserEventRingStats> = {
  duplicate: 'duplicates',
  'too-old': 'tooOld',
  'before-min-time': 'beforeMinTime',
  'slot-full': 'slotFull',
}

/**
 * Serf handleUserEvent without the rebroadcast: witness, min time, window, dedupe, record. On
 * 'delivered' the effects hold the user event for subscribers.
 */
export function recordUserEvent(state: UserEventRingState, msg: Pick<SerfUserEvent, 'LTime' | 'Name' | 'Payload' | 'CC'>): Step<UserEventRingState> & { outcome: RingOutcome } {
  const clock = witnessClock(state.clock, msg.LTime) // before any filtering (§5.3)
  const size = BigInt(state.slots.length)
  let outcome: RingOutcome | undefined
  if (msg.LTime < state.minTime) outcome = 'before-min-time'
  else if (clock > size && msg.LTime < clock - size) outcome = 'too-old'
  const idx = Number(msg.LTime % size)
  const seen = state.slots[idx] ?? null
  const sameTime = seen !== null && seen.ltime === msg.LTime
  if (outcome === undefined && sameTime && seen.events.some((e) => e.name === msg.Name && samePayload(e.payload, msg.Payload))) outcome = 'duplicate'
  if (outcome === undefined && sameTime && seen.events.length >= state.maxEventsPerSlot) outcome = 'slot-full'
  if (outcome !== undefined) {
    const key = COUNTER[outcome as Exclude<RingOutcome, 'delivered'>]
    return { state: { ...state, clock, stats: { ...state.stats, [key]: state.stats[key] + 1 } }, effects: [], outcome }
  }
  // A slot holding another LTime (older or not) is replaced, as in Serf.
  const event: RingEvent = { name: msg.Name, payload: msg.Payload === null ? null : msg.Payload.slice() }
  const slots = state.slots.slice()
  slots[idx] = { ltime: msg.LTime, events: sameTime ? [...seen.events, event] : [event] }
  const effects: SerfEventsEffect[] = [
    { type: 'emit', event: { type: 'user-event', ltime: msg.LTime, name: msg.Name, payload: event.payload, coalesce: msg.CC } },
  ]
  return { state: { ...state, clock, slots, stats: { ...state.stats, delivered: state.stats.delivered + 1 } }, effects, outcome: 'delivered' }
}

/**
 * A user event from a peer (delegate NotifyMsg): as recordUserEvent, and when delivered, the exact
 * received bytes (Serf type byte included) are queued again on the event queue.
 */
export function receiveUserEvent(state: UserEventRingState, msg: SerfUserEvent, raw: Uint8Array): Step<UserEventRingState> & { outcome: RingOutcome } {
  const step = recordUserEvent(state, msg)
  if (step.outcome === 'delivered') step.effects.push({ type: 'broadcast', queue: 'serf-event', message: raw.slice() })
  return step
}

/** The ring as Serf sends it in push/pull (`EventLTime`, `Events`: every slot, nil where empty). */
export function ringForPushPull(state: UserEventRingState): { EventLTime: LamportTime; Events: (UserEventsSlot | null)[] } {
  return {
    EventLTime: state.clock,
    Events: state.slots.map((s) => (s === null ? null : { LTime: s.ltime, Events: s.events.map((e) => ({ Name: e.name, Payload: e.payload })) })),
  }
}

/**
 * Serf MergeRemoteState's event part: witness `EventLTime − 1`; on a join that ignores old events
 * (the agent default), raise the min time to the remote EventLTime; then replay every remote event
 * through the normal path (dedupe applies; CC false; no rebroadcast).
 */
export function mergeRemoteEvents(state: UserEventRingState, pp: Pick<SerfPushPull, 'EventLTime' | 'Events'>, opts: { join: boolean; ignoreOld: boolean }): Step<UserEventRingState> {
  let s: UserEventRingState = { ...state, clock: witnessRemoteClock(state.clock, pp.EventLTime) }
  if (opts.join && opts.ignoreOld && pp.EventLTime > s.minTime) s = { ...s, minTime: pp.EventLTime }
  const effects: SerfEventsEffect[] = []
  for (const slot of pp.Events ?? []) {
    if (slot === null) continue
    for (const e of slot.Events ?? []) {
      const step = recordUserEvent(s, { LTime: slot.LTime, Name: e.Name, Payload: e.Payload, CC: false })
      s = step.state
      effects.push(...step.effects)
    }
  }
  return { state: s, effects }
}

/**
 * Originating a user event (spec §5.8, Serf UserEvent): the size checks in Serf's order
 * (len(name)+len(payload) against the configured limit, then against the 9216-byte sane cap; the
 * encoded message, type byte included, against both again), then LTime = clock, Increment, local
 * delivery through the ring, and the encoded bytes queued on the event queue.
 *
 * With the default 512-byte limit the encoded check is the tighter one: a message carries about
 * 20 bytes of msgpack field names and headers, so name+payload fits up to ~490 bytes.
 */
import { encodeSerfMessage } from '../../src/wire/serf.ts'
import type { SerfEventsConfig } from './config.ts'
import { USER_EVENT_SIZE_HARD_LIMIT } from './config.ts'
import type { SerfEventsEffect, Step } from './effects.ts'
import { SerfEventsError } from './errors.ts'
import { incrementClock } from './event-clock.ts'
import type { UserEventRingState } from './user-event-ring.ts'
import { recordUserEvent } from './user-event-ring.ts'

export interface UserEventRequest {
  name: string
  payload?: Uint8Array | null
  /** CC: receivers' agents may coalesce it with newer events of the same name (CLI default true). */
  coalesce: boolean
}

const utf8 = new TextEncoder()

export type SendResult = (Step<UserEventRingState> & { ok: true; message: Uint8Array }) | { ok: false; error: SerfEventsError }

/** Validates, sizes, stamps and delivers a local user event. A refused event changes nothing. */
export function sendUserEvent(state: UserEventRingState, config: Pick<SerfEventsConfig, 'userEventSizeLimit'>, req: UserEventRequest): SendResult {
  if (typeof req !== 'object' || req === null || typeof req.name !== 'string') return invalid('name must be a string')
  const payload = req.payload ?? null
  if (payload !== null && !(payload instanceof Uint8Array)) return invalid('payload must be a Uint8Array or null')
  if (typeof req.coalesce !== 'boolean') return invalid('coalesce must be true or false')
  const limit = config.userEventSizeLimit
  const size = utf8.encode(req.name).length + (payload?.length ?? 0)
  if (size > limit) return tooLarge(`user event exceeds configured limit of ${limit} bytes before encoding`, size, limit, 'before-encoding')
  if (size > USER_EVENT_SIZE_HARD_LIMIT) {
    return tooLarge(`user event exceeds sane limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes before encoding`, size, USER_EVENT_SIZE_HARD_LIMIT, 'before-encoding')
  }
  const msg = { type: 'userEvent' as const, LTime: state.clock, Name: req.name, Payload: payload, CC: req.coalesce }
  const message = encodeSerfMessage(msg)
  if (message.length > limit) return tooLarge(`encoded user event exceeds configured limit of ${limit} bytes after encoding`, message.length, limit, 'encoded')
  if (message.length > USER_EVENT_SIZE_HARD_LIMIT) {
    return tooLarge(`encoded user event exceeds sane limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes after encoding`, message.length, USER_EVENT_SIZE_HARD_LIMIT, 'encoded')
  }
  const local = recordUserEvent({ ...state, clock: incrementClock(state.clock) }, msg)
  const effects: SerfEventsEffect[] = [...local.effects, { type: 'broadcast', queue: 'serf-event', message }]
  return { ok: true, state: local.state, effects, message }
}

function invalid(reason: string): SendResult {
  return { ok: false, error: new SerfEventsError('ERR_EVENT_INVALID', `user event refused: ${reason}`, { reason }) }
}

function tooLarge(message: string, size: number, limit: number, stage: 'before-encoding' | 'encoded'): SendResult {
  return { ok: false, error: new SerfEventsError('ERR_EVENT_TOO_LARGE', message, { size, limit, stage }) }
}

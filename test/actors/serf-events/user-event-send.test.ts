import { describe, expect, it } from 'vitest'
import { createUserEventRing } from '../../../actors/serf-events/user-event-ring.ts'
import { sendUserEvent } from '../../../actors/serf-events/user-event-send.ts'
import { decodeSerfMessage, encodeSerfMessage } from '../../../src/wire/serf.ts'
import { emitted, ofType } from './support.ts'

const ring = (clock = 1n) => createUserEventRing({ size: 512, maxEventsPerSlot: 64, clock, minTime: 0n })
/** Encoded size of a user event at `ltime` (computed apart from the sender, to find the boundary). */
const encodedSize = (name: string, payloadLength: number, ltime = 1n) =>
  encodeSerfMessage({ type: 'userEvent', LTime: ltime, Name: name, Payload: new Uint8Array(payloadLength), CC: true }).length

describe('user-event-send', () => {
  it('stamps LTime = clock, then increments, delivers locally once and queues the encoded bytes', () => {
    const r = sendUserEvent(ring(7n), { userEventSizeLimit: 512 }, { name: 'deploy', payload: Uint8Array.of(1, 2), coalesce: true })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.state.clock).toBe(8n)
    expect(emitted(r.effects)).toEqual([{ type: 'user-event', ltime: 7n, name: 'deploy', payload: Uint8Array.of(1, 2), coalesce: true }])
    const [b] = ofType(r.effects, 'broadcast')
    expect(b!.queue).toBe('serf-event')
    expect(decodeSerfMessage(b!.message)).toEqual({ type: 'userEvent', LTime: 7n, Name: 'deploy', Payload: Uint8Array.of(1, 2), CC: true })
    expect(r.state.slots[7]!.events).toHaveLength(1) // so its gossip coming back is a duplicate
  })

  // The largest payload whose encoded message fits 512 bytes with a 6-byte name.
  const fits = (() => {
    let p = 0
    while (encodedSize('deploy', p + 1) <= 512) p++
    return p
  })()

  it.each([
    { name: 'name+payload over the configured limit', limit: 512, payload: 507, code: 'ERR_EVENT_TOO_LARGE', stage: 'before-encoding', message: 'user event exceeds configured limit of 512 bytes before encoding' },
    { name: 'name+payload at the limit but the encoded message over it', limit: 512, payload: 506, code: 'ERR_EVENT_TOO_LARGE', stage: 'encoded', message: 'encoded user event exceeds configured limit of 512 bytes after encoding' },
    { name: 'the largest payload whose encoding fits', limit: 512, payload: fits, code: undefined, stage: undefined, message: undefined },
    { name: 'one byte more', limit: 512, payload: fits + 1, code: 'ERR_EVENT_TOO_LARGE', stage: 'encoded', message: 'encoded user event exceeds configured limit of 512 bytes after encoding' },
    { name: 'the 9216 limit: near 9 KiB fits', limit: 9216, payload: 9000, code: undefined, stage: undefined, message: undefined },
    { name: 'the 9216 limit: encoded past 9216 is refused', limit: 9216, payload: 9210, code: 'ERR_EVENT_TOO_LARGE', stage: 'encoded', message: 'encoded user event exceeds configured limit of 9216 bytes after encoding' },
  ])('$name (payload $payload, limit $limit)', ({ limit, payload, code, stage, message }) => {
    const s = ring()
    const r = sendUserEvent(s, { userEventSizeLimit: limit }, { name: 'deploy', payload: new Uint8Array(payload), coalesce: false })
    if (code === undefined) {
      expect(r.ok).toBe(true)
      return
    }
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe(code)
    expect(r.error.message).toBe(message)
    expect(r.error.details).toMatchObject({ stage, limit })
  })

  it('measures the name in UTF-8 bytes, as Go len() does', () => {
    const r = sendUserEvent(ring(), { userEventSizeLimit: 10 }, { name: 'é'.repeat(6), coalesce: false }) // 12 bytes, 6 chars
    expect(r.ok === false && r.error.details).toMatchObject({ size: 12, stage: 'before-encoding' })
  })

  it.each([
    { req: { name: 5, coalesce: false }, reason: 'name must be a string' },
    { req: { name: 'x', payload: 'text', coalesce: false }, reason: 'payload must be a Uint8Array or null' },
    { req: { name: 'x', coalesce: 'yes' }, reason: 'coalesce must be true or false' },
    { req: null, reason: 'name must be a string' },
  ])('refuses a malformed request $req with ERR_EVENT_INVALID and changes nothing', ({ req, reason }) => {
    const s = ring()
    const r = sendUserEvent(s, { userEventSizeLimit: 512 }, req as never)
    expect(r.ok === false && [r.error.code, r.error.details?.['reason']]).toEqual(['ERR_EVENT_INVALID', reason])
    expect(s.clock).toBe(1n)
  })

  it('accepts an empty name and a nil payload', () => {
    const r = sendUserEvent(ring(), { userEventSizeLimit: 512 }, { name: '', coalesce: false })
    expect(r.ok && emitted(r.effects)).toEqual([{ type: 'user-event', ltime: 1n, name: '', payload: null, coalesce: false }])
  })
})

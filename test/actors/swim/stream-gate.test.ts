import { describe, expect, it } from 'vitest'
import { MAX_UNREAD_BYTES, StreamGate } from '../../../actors/swim/stream-gate.ts'
import type { StreamGateCounts } from '../../../actors/swim/stream-gate.ts'
import type { StreamEventMsg } from '../../../actors/swim/protocol.ts'
import { TransportError } from '../../../src/transport/transport.ts'
import type { Stream } from '../../../src/transport/transport.ts'

/** A transport stream driven by hand: the test calls `data` / `finish` as a socket would. */
function fakeStream() {
  let onData: ((b: Uint8Array) => void) | undefined
  let onEnd: ((err?: TransportError) => void) | undefined
  const s = {
    local: '10.0.0.1:7946',
    remote: '10.0.0.2:40000',
    written: [] as number[][],
    closed: 0,
    write: (b: Uint8Array) => (s.written.push([...b]), true),
    end: () => {},
    close: () => {
      s.closed++
      onEnd?.(new TransportError('ERR_TRANSPORT_CLOSED', 'closed'))
    },
    setDeadline: () => {},
    onData: (h: (b: Uint8Array) => void) => void (onData = h),
    onEnd: (h: (err?: TransportError) => void) => void (onEnd = h),
    data: (...bytes: number[]) => onData!(Uint8Array.from(bytes)),
    finish: (err?: TransportError) => onEnd!(err),
  }
  return s
}

/** A gate whose mailbox is an array; `room` says how many more messages it takes. */
function setup(room = Infinity) {
  const mailbox: StreamEventMsg[] = []
  const counts: StreamGateCounts = { streamEventsRefused: 0, streamEventsUnknown: 0, streamEventsAfterStop: 0, streamQueueOverflows: 0 }
  let left = room
  const gate = new StreamGate({
    counts,
    post: (msg) => {
      if (left <= 0) return false
      left--
      mailbox.push(msg)
      return true
    },
  })
  const accepted: Stream[] = []
  /** Dispatches every message waiting, as the machine's turns would. */
  const drain = () => {
    while (mailbox.length > 0) gate.dispatch(mailbox.shift()!, (s) => accepted.push(s))
  }
  return { gate, mailbox, counts, accepted, drain, setRoom: (n: number) => (left = n) }
}

describe('StreamGate', () => {
  it("hands an accepted stream's news to the core only when dispatched, in the transport's order", () => {
    const { gate, mailbox, accepted, drain } = setup()
    const real = fakeStream()
    gate.accepted(real as unknown as Stream)
    real.data(1, 2)
    real.data(3)
    real.finish()
    expect(mailbox.map((m) => m.what)).toEqual(['accepted', 'data', 'data', 'end'])
    expect(accepted).toEqual([]) // nothing reached the core outside a turn
    const got: string[] = []
    gate.dispatch(mailbox.shift()!, (s) => {
      accepted.push(s)
      s.onData((b) => got.push(`data ${[...b]}`))
      s.onEnd((err) => got.push(`end ${err?.code ?? 'clean'}`))
      s.write(Uint8Array.of(9)) // writes go straight out
    })
    expect(real.written).toEqual([[9]])
    drain()
    expect(got).toEqual(['data 1,2', 'data 3', 'end clean'])
    expect(gate.size).toBe(0)
  })

  it("gives a dial's outcome through its `dialed` message, the stream with the same id; bytes before the core listens wait for it", () => {
    const { gate, mailbox, drain } = setup()
    const real = fakeStream()
    let finishDial!: (err: TransportError | undefined, s?: Stream) => void
    const outcomes: string[] = []
    let stream: Stream | undefined
    gate.dial((_to, _ms, cb) => (finishDial = cb), '10.0.0.2:7946', 500, (err, s) => {
      outcomes.push(err?.code ?? 'ok')
      stream = s
    })
    finishDial(undefined, real as unknown as Stream)
    real.data(7)
    expect(mailbox.map((m) => [m.what, m.id])).toEqual([
      ['dialed', 1],
      ['data', 1],
    ])
    drain()
    expect(outcomes).toEqual(['ok'])
    const got: number[] = []
    stream!.onData((b) => got.push(...b))
    expect(got).toEqual([7])
    // A refused dial's error crosses as data and comes back as a coded TransportError.
    gate.dial((_to, _ms, cb) => cb(new TransportError('ERR_TRANSPORT_REFUSED', 'dial 10.0.0.3:7946: connection refused')), '10.0.0.3:7946', 500, (err) => outcomes.push(err?.code ?? 'ok'))
    drain()
    expect(outcomes).toEqual(['ok', 'ERR_TRANSPORT_REFUSED'])
  })

  it('a message the mailbox refuses breaks its stream like a reset: closed at once, its end given at the next turn, what was queued discarded, counted', () => {
    const { gate, mailbox, counts, drain, setRoom } = setup()
    const real = fakeStream()
    gate.accepted(real as unknown as Stream)
    const got: string[] = []
    gate.dispatch(mailbox.shift()!, (s) => {
      s.onData((b) => got.push(`data ${[...b]}`))
      s.onEnd((err) => got.push(`end ${err?.code ?? 'clean'}`))
    })
    real.data(1)
    setRoom(0)
    real.data(2) // refused: the stream is broken
    expect(real.closed).toBe(1)
    expect(counts.streamEventsRefused).toBe(1)
    expect(got).toEqual([]) // nothing outside a turn
    expect(mailbox.map((m) => m.what)).toEqual(['data'])
    drain()
    expect(got).toEqual(['end ERR_TRANSPORT_CLOSED'])
    expect(counts.streamEventsUnknown).toBe(1) // the queued `data 1`, of a stream no longer held
    gate.settle()
    expect(got).toHaveLength(1) // once
    expect(gate.size).toBe(0)
  })

  it('bounds the bytes waiting in the mailbox over all streams: one that would pass the bound breaks, counted; dispatch gives the room back', () => {
    const { gate, mailbox, counts } = setup()
    gate.setQueueBound(4)
    const a = fakeStream()
    const b = fakeStream()
    gate.accepted(a as unknown as Stream)
    gate.accepted(b as unknown as Stream)
    a.data(1, 2, 3)
    expect(gate.queued).toBe(3)
    b.data(4, 5) // 5 > 4: b breaks, a goes on
    expect([b.closed, a.closed, counts.streamQueueOverflows]).toEqual([1, 0, 1])
    expect(mailbox.filter((m) => m.what === 'data').map((m) => m.id)).toEqual([1])
    // b broke before the core met it: its accept finds nothing (counted), a's bytes come through.
    const got: number[] = []
    while (mailbox.length > 0) gate.dispatch(mailbox.shift()!, (s) => s.onData((chunk) => got.push(...chunk)))
    expect(got).toEqual([1, 2, 3])
    expect(counts.streamEventsUnknown).toBe(1)
    expect(gate.queued).toBe(0)
    a.data(6, 7, 8, 9) // room again
    expect(counts.streamQueueOverflows).toBe(1)
    expect(gate.queued).toBe(4)
  })

  it('news the mailbox lost holds room in the byte bound only until its stream is forgotten (its end, or a stop)', () => {
    const { gate, mailbox, drain } = setup()
    gate.setQueueBound(8)
    const a = fakeStream()
    gate.accepted(a as unknown as Stream)
    drain()
    a.data(1, 2, 3)
    a.data(4, 5)
    expect(gate.queued).toBe(5)
    mailbox.splice(0, 1) // a drop-oldest mailbox displaced the first `data`
    drain()
    expect(gate.queued).toBe(3) // the lost 3 bytes still count while the stream is held
    a.finish()
    drain()
    expect(gate.queued).toBe(0) // its end gave them back
    const b = fakeStream()
    gate.accepted(b as unknown as Stream)
    drain()
    b.data(1, 2, 3, 4, 5, 6)
    mailbox.length = 0 // lost as well
    gate.clear()
    expect(gate.queued).toBe(0) // a stop gives back what its streams held
    const c = fakeStream()
    gate.accepted(c as unknown as Stream)
    c.data(1, 2, 3, 4, 5, 6, 7, 8) // the whole bound is room again
    expect(c.closed).toBe(0)
    expect(gate.queued).toBe(8)
  })

  it('breaks a stream the core never listens to once its unread bytes pass MAX_UNREAD_BYTES (a peer talking on a stream we only write to)', () => {
    const { gate, counts, drain } = setup()
    const real = fakeStream()
    const ends: string[] = []
    gate.dial((_to, _ms, cb) => cb(undefined, real as unknown as Stream), '10.0.0.2:7946', 500, (_err, s) => s!.onEnd((err) => ends.push(err?.code ?? 'clean')))
    drain()
    const chunk = new Uint8Array(16 * 1024)
    for (let i = 0; i < MAX_UNREAD_BYTES / chunk.length; i++) real.data(...chunk)
    drain()
    expect([real.closed, counts.streamQueueOverflows]).toEqual([0, 0]) // at the bound: kept
    real.data(1)
    drain()
    expect([real.closed, counts.streamQueueOverflows]).toEqual([1, 1])
    gate.settle()
    expect(ends).toEqual(['ERR_TRANSPORT_CLOSED'])
  })

  it("a refused `dialed` closes the stream and owes the dial's callback an error", () => {
    const { gate, counts, setRoom } = setup()
    const real = fakeStream()
    const outcomes: string[] = []
    setRoom(0)
    gate.dial((_to, _ms, cb) => cb(undefined, real as unknown as Stream), '10.0.0.2:7946', 500, (err, s) => outcomes.push(`${err?.code ?? 'ok'} ${s === undefined}`))
    expect(real.closed).toBe(1)
    expect(counts.streamEventsRefused).toBe(1)
    gate.settle()
    expect(outcomes).toEqual(['ERR_TRANSPORT_CLOSED true'])
  })

  it('counts news about no stream it holds, and a clear closes what it holds and forgets pending dials', () => {
    const { gate, mailbox, counts, accepted, drain } = setup()
    gate.dispatch({ type: 'swim.stream', id: 42, what: 'data', bytes: Uint8Array.of(1) }, () => {})
    gate.dispatch({ type: 'swim.stream', id: 43, what: 'dialed' }, () => {})
    expect(counts.streamEventsUnknown).toBe(2)
    const held = fakeStream()
    gate.accepted(held as unknown as Stream)
    const late = fakeStream()
    let finishDial!: (err: TransportError | undefined, s?: Stream) => void
    const outcomes: string[] = []
    gate.dial((_to, _ms, cb) => (finishDial = cb), '10.0.0.2:7946', 500, () => outcomes.push('called'))
    gate.clear()
    expect(held.closed).toBe(1)
    finishDial(undefined, late as unknown as Stream) // the dial outlived the stop
    expect(late.closed).toBe(1)
    // What was already posted (held's accept) finds nothing any more; the close at the clear posts nothing.
    expect(mailbox.map((m) => m.what)).toEqual(['accepted'])
    drain()
    expect(accepted).toEqual([])
    expect(outcomes).toEqual([])
    // That accept's news is explained by the stop: counted apart from the unknown.
    expect([counts.streamEventsUnknown, counts.streamEventsAfterStop]).toEqual([2, 1])
    // An id the gate never issued is still unknown after a stop.
    gate.dispatch({ type: 'swim.stream', id: 1000, what: 'end' }, () => {})
    expect([counts.streamEventsUnknown, counts.streamEventsAfterStop]).toEqual([3, 1])
  })
})

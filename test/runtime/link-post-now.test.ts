/**
 * A reply (a forced item) on an idle link (nothing waiting, nothing in flight) is posted at once,
 * with the credit owed for what was handled so far, instead of at the end of the microtask turn:
 * the work left in the sending turn (the rest of the machine's step, the batch's checkpoint)
 * then runs while it travels. Actor messages (requests too) still wait in the mailbox for the
 * turn's batch, and nothing passes an item sent before it.
 */
import { describe, expect, it } from 'vitest'
import { F_ACK, F_DATA, F_REPLY } from '../../src/runtime/frames.ts'
import { Link } from '../../src/runtime/link.ts'

const policy = { capacity: 64, overflow: 'backpressure' as const, backpressureCeiling: 4 }

/** A MessagePort stand-in that records what is posted (and refuses what structured clone would). */
class RecordingPort {
  readonly posted: unknown[] = []
  on(): this {
    return this
  }
  off(): this {
    return this
  }
  postMessage(data: unknown): void {
    structuredClone(data)
    this.posted.push(data)
  }
  close(): void {}
}

function link(onItem: (item: unknown) => void = () => {}, onUnsendable?: (item: unknown) => void) {
  const port = new RecordingPort()
  const l = new Link(port as never, policy, { onItem, onOverflow: () => {}, ...(onUnsendable !== undefined ? { onUnsendable } : {}), receiveWindow: 64 })
  return { port, link: l }
}

describe('Link: a reply on an idle link leaves at once', () => {
  it('a reply made while its ask is handled is posted before the handler returns, carrying the credit for the ask', () => {
    let postedInside = -1
    const { port, link: b } = link((item) => {
      if ((item as { type?: string }).type !== 'x.ask') return
      b.force({ k: F_REPLY, c: 7, v: 'answer' })
      // Still inside the handler (the machine's step): the reply is on the port already.
      postedInside = port.posted.length
    })
    b.receive({ type: 'x.ask' })
    expect(postedInside).toBe(1)
    expect(port.posted).toEqual([{ k: F_REPLY, c: 7, v: 'answer', a: 1 }])
    expect(b.pendingAck).toBe(0)
    expect(b.inFlight).toBe(1)
  })

  it('in a batch, the reply carries the credit of the items handed over so far; the rest goes back later', async () => {
    const { port, link: b } = link((item) => {
      if ((item as { type?: string }).type === 'x.ask') b.force({ k: F_REPLY, c: 1, v: 0 })
    })
    b.receive([{ type: 'x.tell' }, { type: 'x.ask' }, { type: 'x.tell' }, { type: 'x.tell' }])
    expect(port.posted).toEqual([{ k: F_REPLY, c: 1, v: 0, a: 2 }])
    expect(b.pendingAck).toBe(2)
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(port.posted[1]).toEqual({ k: F_ACK, n: 2 })
  })

  it('an actor message, a request included, waits in the mailbox for the turn\'s flush even on an idle link (overflow verdicts unchanged)', async () => {
    const { port, link: a } = link()
    a.receive({ type: 'x.tell' })
    const request = { type: 'x.get', replyTo: { to: 'q', cid: 3 } }
    a.send(request)
    a.send({ type: 'x.tell', n: 1 })
    expect(port.posted).toHaveLength(0)
    expect(a.ring.length).toBe(2)
    await Promise.resolve()
    expect(port.posted).toEqual([{ k: F_DATA, a: 1, d: [request, { type: 'x.tell', n: 1 }] }])
  })

  it('a reply queued behind a waiting tell keeps its place (the link is not idle)', async () => {
    const { port, link: b } = link()
    b.send({ type: 'x.tell' })
    b.force({ k: F_REPLY, c: 9, v: 1 })
    expect(port.posted).toHaveLength(0)
    await Promise.resolve()
    expect(port.posted).toEqual([[{ type: 'x.tell' }, { k: F_REPLY, c: 9, v: 1 }]])
  })

  it('a reply that cannot be cloned is reported from a microtask, not inside force; its credit goes back alone', async () => {
    const refused: unknown[] = []
    const { port, link: b } = link(() => {}, (item) => refused.push(item))
    b.receive({ type: 'x.ask' })
    const reply = { k: F_REPLY, c: 5, v: () => 'no' }
    b.force(reply)
    expect(refused).toEqual([])
    await Promise.resolve()
    expect(refused).toEqual([reply])
    expect('a' in reply).toBe(false)
    expect(port.posted).toEqual([{ k: F_ACK, n: 1 }])
    expect(b.inFlight).toBe(0)
    expect(b.unsendable).toBe(1)
  })

  it('a link whose peer is down holds the reply (nothing is posted until attach)', () => {
    const { port, link: b } = link()
    b.markDown()
    b.force({ k: F_REPLY, c: 2, v: 0 })
    expect(port.posted).toHaveLength(0)
    expect(b.ring.length).toBe(1)
  })
})

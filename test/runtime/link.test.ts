import { MessageChannel } from 'node:worker_threads'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { F_ACK, F_DATA, F_REPLY } from '../../src/runtime/frames.ts'
import { Link } from '../../src/runtime/link.ts'
import { TurnBudget } from '../../src/runtime/turn-budget.ts'

const policy = { capacity: 4096, overflow: 'backpressure' as const, backpressureCeiling: 4 }

/** Two links on the two ends of one channel, in this thread. */
function pair(onItem: (item: unknown) => void) {
  const { port1, port2 } = new MessageChannel()
  const a = new Link(port1, policy, { onItem: () => {}, onOverflow: () => {} })
  const b = new Link(port2, policy, { onItem, onOverflow: () => {} })
  return { a, b, close: () => (a.close(), b.close()) }
}

const plainMessage = fc.record({
  type: fc.constantFrom('x.a', 'x.b', 'x.c'),
  n: fc.oneof(fc.integer(), fc.double({ noNaN: false })),
  s: fc.string(),
  nested: fc.option(fc.record({ to: fc.string(), cid: fc.nat() }), { nil: null }),
  list: fc.array(fc.oneof(fc.string(), fc.boolean(), fc.integer()), { maxLength: 5 }),
})
const oddMessage = fc.record({
  type: fc.constant('x.odd'),
  bytes: fc.uint8Array({ maxLength: 8 }),
  big: fc.bigInt(),
  missing: fc.constant(undefined),
  zero: fc.constant(-0),
})

describe('Link', () => {
  it('delivers every message of a burst once, in order, unchanged (plain and odd values alike)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof({ weight: 5, arbitrary: plainMessage }, { weight: 1, arbitrary: oddMessage }), { maxLength: 600 }), async (msgs) => {
        const got: unknown[] = []
        const { a, close } = pair((item) => got.push(item))
        for (const m of msgs) expect(a.send(m)).toBe('ok')
        await a.idle()
        close()
        expect(got.length).toBe(msgs.length)
        for (let i = 0; i < msgs.length; i++) {
          const g = got[i] as Record<string, unknown>
          const m = msgs[i] as Record<string, unknown>
          if (m['type'] === 'x.odd') {
            expect(Object.is(g['zero'], -0)).toBe(true)
            expect(g['big']).toBe(m['big'])
            expect(g['bytes']).toEqual(m['bytes'])
            expect('missing' in g).toBe(true)
          } else expect(g).toEqual(m)
        }
      }),
      { numRuns: 30 },
    )
  })

  it('delivers bursts in both directions and after the peer is replaced', async () => {
    const shapes = (round: number, i: number) =>
      i % 3 === 0 ? { type: `s${round}`, a: i, b: 'x' } : i % 3 === 1 ? { type: 'q', z: [i, round], w: { deep: i } } : { type: 'r', only: i }
    const { port1, port2 } = new MessageChannel()
    const toB: unknown[] = []
    const toA: unknown[] = []
    const a = new Link(port1, policy, { onItem: (m) => toA.push(m), onOverflow: () => {} })
    let b = new Link(port2, policy, { onItem: (m) => toB.push(m), onOverflow: () => {} })
    const sent: unknown[] = []
    for (let round = 0; round < 4; round++) {
      if (round === 2) {
        // the peer thread is replaced: a new port and a fresh link on the other end
        a.markDown()
        b.close()
        const next = new MessageChannel()
        b = new Link(next.port2, policy, { onItem: (m) => toB.push(m), onOverflow: () => {} })
        a.attach(next.port1)
      }
      for (let i = 0; i < 100; i++) {
        const m = shapes(round, i)
        a.send(m)
        b.send({ ...m, back: true })
        sent.push(m)
      }
      await Promise.all([a.idle(), b.idle()])
    }
    expect(toB).toEqual(sent)
    expect(toA).toEqual(sent.map((m) => ({ ...(m as object), back: true })))
    a.close()
    b.close()
  })

  it('keeps at most `capacity` in flight and queues the rest in the ring', async () => {
    const got: unknown[] = []
    const { port1, port2 } = new MessageChannel()
    const a = new Link(port1, { ...policy, capacity: 100 }, { onItem: () => {}, onOverflow: () => {} })
    const b = new Link(port2, policy, { onItem: (i) => got.push(i), onOverflow: () => {} })
    const statuses = Array.from({ length: 250 }, (_, i) => a.send({ type: 'x', i }))
    expect(statuses.filter((s) => s === 'backpressure')).toHaveLength(150)
    await Promise.resolve()
    expect(a.inFlight).toBe(100)
    expect(a.ring.length).toBe(150)
    await a.idle()
    expect(got.map((m) => (m as { i: number }).i)).toEqual(Array.from({ length: 250 }, (_, i) => i))
    expect(a.acked).toBe(250)
    a.close()
    b.close()
  })
  it('returns credit for half the window at once, and the rest at the end of the turn', async () => {
    const { port1, port2 } = new MessageChannel()
    const posted: unknown[] = []
    const original = port2.postMessage.bind(port2)
    port2.postMessage = (m: unknown) => (posted.push(m), original(m))
    const got: unknown[] = []
    const b = new Link(port2, policy, { onItem: (i) => got.push(i), onOverflow: () => {}, receiveWindow: 100 })
    b.receive(Array.from({ length: 60 }, (_, i) => ({ type: 'x', i })))
    // 60 >= 100 / 2: the credit went out before receive returned
    expect(posted).toEqual([{ k: F_ACK, n: 60 }])
    b.receive(Array.from({ length: 10 }, (_, i) => ({ type: 'x', i: 60 + i })))
    expect(posted).toHaveLength(1)
    // (the link arms its immediate from a microtask, after this one)
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(posted).toEqual([{ k: F_ACK, n: 60 }, { k: F_ACK, n: 10 }])
    expect(got).toHaveLength(70)
    b.close()
    port1.close()
  })

  it('sends a lone reply with its credit inside (no wrapping frame) and takes credit from one', async () => {
    const { port1, port2 } = new MessageChannel()
    const posted: unknown[] = []
    const original = port2.postMessage.bind(port2)
    port2.postMessage = (m: unknown) => (posted.push(m), original(m))
    const onItem = (m: unknown): void => {
      if ((m as { type: string }).type === 'x.ask') b.force({ k: F_REPLY, c: 7, v: 'answer' })
    }
    const b = new Link(port2, policy, { onItem, onOverflow: () => {} })
    b.receive({ type: 'x.ask' })
    await Promise.resolve()
    expect(posted).toEqual([{ k: F_REPLY, c: 7, v: 'answer', a: 1 }])
    // A message with credit owed still travels wrapped (its fields belong to the machine).
    b.receive({ type: 'x.tell' })
    b.send({ type: 'x.out', n: 1 })
    await Promise.resolve()
    expect(posted[1]).toEqual({ k: F_DATA, a: 1, d: { type: 'x.out', n: 1 } })
    // The other side: a reply carrying credit frees the window and reaches onItem.
    const got: unknown[] = []
    const a = new Link(port1, policy, { onItem: (i) => got.push(i), onOverflow: () => {} })
    a.send({ type: 'x.ask' })
    await Promise.resolve()
    expect(a.inFlight).toBe(1)
    a.receive({ k: F_REPLY, c: 7, v: 'answer', a: 1 })
    expect(a.inFlight).toBe(0)
    expect(a.acked).toBe(1)
    expect(got).toEqual([{ k: F_REPLY, c: 7, v: 'answer', a: 1 }])
    a.close()
    b.close()
  })
})

describe('Link with an item that cannot be cloned', () => {
  it('reports a lone message unchanged (its own field `a` stays) and still posts the credit it owed', async () => {
    const { port1, port2 } = new MessageChannel()
    const posted: unknown[] = []
    const original = port2.postMessage.bind(port2)
    port2.postMessage = (m: unknown) => (posted.push(m), original(m))
    const refused: unknown[] = []
    const b = new Link(port2, policy, { onItem: () => {}, onOverflow: () => {}, onUnsendable: (item) => refused.push(item) })
    // No credit owed: the message goes alone; with credit owed: wrapped in a data frame.
    const alone = { type: 'x.fn', a: 7, f: () => 1 }
    b.send(alone)
    await Promise.resolve()
    b.receive({ type: 'x.tell' })
    const wrapped = { type: 'x.fn', a: 8, f: () => 2 }
    b.send(wrapped)
    await Promise.resolve()
    expect(refused).toEqual([alone, wrapped])
    expect(alone.a).toBe(7)
    expect(wrapped.a).toBe(8)
    expect(b.unsendable).toBe(2)
    expect(b.inFlight).toBe(0)
    // The credit for x.tell still went back, on its own frame.
    expect(posted.filter((m) => (m as { k?: unknown }).k === F_ACK)).toEqual([{ k: F_ACK, n: 1 }])
    port1.close()
    b.close()
  })

  it('a lone reply that cannot be cloned is reported without the credit stamped on it; the credit goes back alone', async () => {
    const { port1, port2 } = new MessageChannel()
    const posted: unknown[] = []
    const original = port2.postMessage.bind(port2)
    port2.postMessage = (m: unknown) => (posted.push(m), original(m))
    const refused: unknown[] = []
    const b = new Link(port2, policy, { onItem: () => {}, onOverflow: () => {}, onUnsendable: (item) => refused.push(item) })
    b.receive({ type: 'x.ask' })
    const reply = { k: F_REPLY, c: 3, v: () => 'no' }
    b.force(reply)
    await Promise.resolve()
    expect(refused).toEqual([{ k: F_REPLY, c: 3, v: reply.v }])
    expect('a' in reply).toBe(false)
    expect(posted.filter((m) => (m as { k?: unknown }).k === F_ACK)).toEqual([{ k: F_ACK, n: 1 }])
    port1.close()
    b.close()
  })
})

describe('Link close', () => {
  it('counts the actor messages it never posted as lost (runtime items are not messages)', () => {
    const link = new Link(undefined, policy, { onItem: () => {}, onOverflow: () => {} })
    link.down = true
    link.send({ type: 'x.a' })
    link.send({ type: 'x.b' })
    link.force({ k: F_REPLY, c: 1, v: 0 })
    link.send({ type: 'x.c' })
    expect(link.close()).toBe(4)
    expect(link.lost).toBe(3)
    expect(link.stats().lost).toBe(3)
    expect(link.send({ type: 'x.d' })).toBe('stopped')
  })

  it('drop-oldest passes over forced replies to the oldest message, and hands the dropped one to the handler', () => {
    const dropped: unknown[] = []
    // No port: nothing is posted, so the ring is the whole mailbox.
    const link = new Link(undefined, { capacity: 3, overflow: 'drop-oldest', backpressureCeiling: 4 }, { onItem: () => {}, onOverflow: (_kind, item) => dropped.push(item) })
    link.force({ k: F_REPLY, c: 1, v: 'answer' })
    for (const n of [1, 2]) expect(link.send({ type: 'x', n })).toBe('ok')
    const request = { type: 'x.get', replyTo: { to: 'q', cid: 7 } }
    expect(link.send(request)).toBe('displaced')
    expect(link.send({ type: 'x', n: 3 })).toBe('displaced')
    expect(dropped).toEqual([{ type: 'x', n: 1 }, { type: 'x', n: 2 }])
    expect(link.send({ type: 'x', n: 4 })).toBe('displaced')
    expect(dropped[2]).toBe(request)
    expect(link.ring.takeAll()).toEqual([{ k: F_REPLY, c: 1, v: 'answer' }, { type: 'x', n: 3 }, { type: 'x', n: 4 }])
    expect(link.dropped).toBe(3)
  })
})

/** A MessagePort stand-in that records what a link posts and whether it listens. */
class RecordingPort {
  readonly posted: unknown[] = []
  readonly listeners = new Set<(data: unknown) => void>()
  on(_event: 'message', fn: (data: unknown) => void): this {
    this.listeners.add(fn)
    return this
  }
  off(_event: 'message', fn: (data: unknown) => void): this {
    this.listeners.delete(fn)
    return this
  }
  postMessage(data: unknown): void {
    this.posted.push(data)
  }
  close(): void {}
  /** The port delivering one message to whoever listens. */
  deliver(data: unknown): void {
    for (const fn of [...this.listeners]) fn(data)
  }
  creditPosted(): number {
    let n = 0
    for (const m of this.posted) if ((m as { k?: unknown }).k === F_ACK) n += (m as { n: number }).n
    return n
  }
}

const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ type: 'x', i: from + i }))

describe('Link under its thread\'s turn budget', () => {
  it('past the budget it pauses its port but still gives the credit back at once (the producer refills meanwhile)', async () => {
    const port = new RecordingPort()
    const got: unknown[] = []
    const budget = new TurnBudget(300)
    const b = new Link(port as never, policy, { onItem: (i) => got.push(i), onOverflow: () => {}, receiveWindow: 512, turnBudget: budget })
    port.deliver(batch(0, 256))
    expect(port.listeners.size).toBe(1)
    port.deliver(batch(256, 256)) // 512 handled this turn: past 300
    expect(got).toHaveLength(512)
    // The credit for all 512 went back already, so the producer posts its next window now...
    expect(port.creditPosted()).toBe(512)
    // ...while this link takes no more of its port's messages this turn (Node keeps them queued).
    expect(b.paused).toBe(true)
    expect(port.listeners.size).toBe(0)
    await new Promise((r) => setImmediate(r))
    expect(b.paused).toBe(false)
    expect(port.listeners.size).toBe(1)
    port.deliver(batch(512, 10))
    expect(got).toHaveLength(522)
    b.close()
  })

  it('a paused port loses nothing: a burst arrives whole and in order, at most the budget plus one batch per turn', async () => {
    const { port1, port2 } = new MessageChannel()
    const budget = new TurnBudget(100)
    const got: number[] = []
    let turnItems = 0
    let maxTurnItems = 0
    const a = new Link(port1, { ...policy, capacity: 512 }, { onItem: () => {}, onOverflow: () => {} })
    const b = new Link(port2, policy, {
      onItem: (m) => {
        got.push((m as { i: number }).i)
        turnItems++
      },
      onOverflow: () => {},
      receiveWindow: 512,
      turnBudget: budget,
    })
    let done = false
    const turns = (): void => {
      maxTurnItems = Math.max(maxTurnItems, turnItems)
      turnItems = 0
      if (!done) setImmediate(turns)
    }
    setImmediate(turns)
    const N = 5_000
    for (let i = 0; i < N; i++) if (a.send({ type: 'x', i }) === 'backpressure') await a.ready()
    await a.idle()
    done = true
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i))
    expect(budget.deferredTurns).toBeGreaterThan(0)
    // A port message carries at most one batch (256 items): the pause comes after it.
    expect(maxTurnItems).toBeLessThanOrEqual(100 + 256)
    a.close()
    b.close()
  })
})

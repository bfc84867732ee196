import { MessageChannel } from 'node:worker_threads'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Link } from '../../src/runtime/link.ts'

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
})

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { RingQueue } from '../../src/runtime/ring.ts'

describe('RingQueue', () => {
  it('behaves like an array used as a FIFO under any mix of operations', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant('shift' as const), fc.constant('front' as const), fc.constant('all' as const), fc.constant('odd' as const)), { maxLength: 300 }), (ops) => {
        const ring = new RingQueue<number>(2)
        const model: number[] = []
        for (const op of ops) {
          if (op === 'shift') expect(ring.shift()).toBe(model.shift())
          else if (op === 'front') {
            ring.unshift(-1)
            model.unshift(-1)
          } else if (op === 'all') expect(ring.takeAll()).toEqual(model.splice(0))
          else if (op === 'odd') {
            // removeFirst: the oldest odd number goes, the rest keep their order.
            const at = model.findIndex((v) => Math.abs(v % 2) === 1)
            expect(ring.removeFirst((v) => Math.abs(v % 2) === 1)).toBe(at < 0 ? undefined : model.splice(at, 1)[0])
          }
          else {
            ring.push(op)
            model.push(op)
          }
          expect(ring.length).toBe(model.length)
          expect(ring.peek()).toBe(model[0])
        }
      }),
    )
  })
})

import { describe, expect, it } from 'vitest'
import { runSoon } from '../../src/runtime/microtask.ts'

describe('runSoon', () => {
  it('runs after the code running now, in the order queued, interleaved with awaits as queueMicrotask is, and before an immediate', async () => {
    const order: string[] = []
    setImmediate(() => order.push('immediate'))
    runSoon(() => order.push('a'))
    queueMicrotask(() => order.push('q'))
    void Promise.resolve().then(() => order.push('then'))
    runSoon(() => order.push('b'))
    order.push('sync')
    await new Promise((r) => setImmediate(r))
    expect(order).toEqual(['sync', 'a', 'q', 'then', 'b', 'immediate'])
  })

  it('a callback queued from a callback runs in the same microtask checkpoint', async () => {
    const order: string[] = []
    setImmediate(() => order.push('immediate'))
    runSoon(() => {
      order.push('outer')
      runSoon(() => order.push('inner'))
    })
    await new Promise((r) => setImmediate(r))
    expect(order).toEqual(['outer', 'inner', 'immediate'])
  })
})

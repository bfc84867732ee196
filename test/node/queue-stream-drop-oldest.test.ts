/** QueueStream with 'drop-oldest' (node.assignments' buffer): a slow reader keeps the newest items, the oldest dropped and counted. */
import { describe, expect, it } from 'vitest'
import { QueueStream } from '../../src/node/bounded-stream.ts'

describe("QueueStream, 'drop-oldest'", () => {
  it('drops the oldest waiting item when full, counts it, and hands a waiting reader the next at once', async () => {
    const s = new QueueStream<number>(2, undefined, 'drop-oldest')
    for (const n of [1, 2, 3, 4]) expect(s.push(n)).toBe(true)
    expect(s.dropped).toBe(2)
    const it = s[Symbol.asyncIterator]()
    expect(await it.next()).toEqual({ value: 3, done: false })
    expect(await it.next()).toEqual({ value: 4, done: false })
    const pending = it.next()
    s.push(5)
    expect(await pending).toEqual({ value: 5, done: false })
    s.end()
    expect(await it.next()).toEqual({ value: undefined, done: true })
    expect(s.push(6)).toBe(false)
  })

  it('ends on abort and on return, running its close hooks once', async () => {
    const ac = new AbortController()
    const s = new QueueStream<number>(4, ac.signal, 'drop-oldest')
    let closed = 0
    s.onClose(() => closed++)
    const it = s[Symbol.asyncIterator]()
    const pending = it.next()
    ac.abort()
    expect(await pending).toEqual({ value: undefined, done: true })
    await it.return?.()
    expect(closed).toBe(1)
    const t = new QueueStream<number>(4, undefined, 'drop-oldest')
    t.push(1)
    await t[Symbol.asyncIterator]().return?.()
    expect(t.ended).toBe(true)
  })
})

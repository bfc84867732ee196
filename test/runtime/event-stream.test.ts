/** BoundedEventStream: the bound, the drop count, the two ways to end (finish keeps the buffer, return/abort discard it). */
import { describe, expect, it } from 'vitest'
import { BoundedEventStream } from '../../src/runtime/event-stream.ts'

function stream(bufferSize: number, signal?: AbortSignal) {
  const counts = { drops: 0, ends: 0 }
  const s = new BoundedEventStream<number>({ bufferSize, signal, onDrop: () => void counts.drops++, onEnd: () => void counts.ends++ })
  return { s, counts }
}

describe('BoundedEventStream', () => {
  it('hands events to waiting consumers first, in order, then buffers up to the bound, dropping the oldest', async () => {
    const { s, counts } = stream(2)
    const a = s.next()
    const b = s.next()
    s.push(1)
    s.push(2)
    expect(await a).toEqual({ value: 1, done: false })
    expect(await b).toEqual({ value: 2, done: false })
    for (let i = 3; i <= 7; i++) s.push(i)
    expect(s.dropped).toBe(3)
    expect(counts.drops).toBe(3)
    expect(s.buffered).toBe(2)
    expect(await s.next()).toEqual({ value: 6, done: false })
    expect(await s.next()).toEqual({ value: 7, done: false })
  })

  it('finish: the consumer gets what was buffered, then the end; later pushes are ignored', async () => {
    const { s, counts } = stream(4)
    s.push(1)
    s.finish()
    s.push(2)
    expect(await s.next()).toEqual({ value: 1, done: false })
    expect(await s.next()).toEqual({ value: undefined, done: true })
    expect(counts.ends).toBe(1)
  })

  it('return and abort end at once, discard the buffer, release waiters, and call onEnd once', async () => {
    const { s, counts } = stream(4)
    s.push(1)
    expect(await s.return()).toEqual({ value: undefined, done: true })
    expect(await s.next()).toEqual({ value: undefined, done: true })
    s.finish()
    expect(counts.ends).toBe(1)

    const ctl = new AbortController()
    const { s: t, counts: c2 } = stream(4, ctl.signal)
    const waiting = t.next()
    ctl.abort()
    expect(await waiting).toEqual({ value: undefined, done: true })
    expect(c2.ends).toBe(1)
    const { s: u, counts: c3 } = stream(4, AbortSignal.abort())
    expect(u.ended).toBe(true)
    expect(c3.ends).toBe(1)
  })
})

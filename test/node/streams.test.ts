/**
 * The node's bounded streams: a slow reader loses (and counts) what does not fit, never holds the
 * source back; a stream ends on abort, on break, and when its owner closes.
 */
import { describe, expect, it } from 'vitest'
import { QueueStream } from '../../src/node/bounded-stream.ts'
import { EventHub, memberEventSource, type MemberEventEmitter } from '../../src/node/event-hub.ts'
import { LogRing } from '../../src/node/log-ring.ts'
import type { LogLine, NodeEvent } from '../../src/node/api.ts'

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('QueueStream', () => {
  it('buffers up to its capacity, then drops and counts', async () => {
    const s = new QueueStream<number>(3)
    expect([1, 2, 3, 4, 5].map((n) => s.push(n))).toEqual([true, true, true, false, false])
    expect(s.dropped).toBe(2)
    s.end()
    expect(await drain(s)).toEqual([1, 2, 3])
    expect(s.push(6)).toBe(false)
  })

  it('hands an item straight to a waiting reader', async () => {
    const s = new QueueStream<string>(1)
    const it = s[Symbol.asyncIterator]()
    const next = it.next()
    s.push('a')
    s.push('b')
    expect(await next).toEqual({ value: 'a', done: false })
    expect(s.dropped).toBe(0)
    expect(await it.next()).toEqual({ value: 'b', done: false })
  })

  it('ends on abort (also one aborted before), and on break, running its close hooks once', async () => {
    const ctl = new AbortController()
    const s = new QueueStream<number>(4, ctl.signal)
    let closed = 0
    s.onClose(() => closed++)
    const pending = s[Symbol.asyncIterator]().next()
    ctl.abort()
    expect(await pending).toEqual({ value: undefined, done: true })
    expect(closed).toBe(1)
    expect(new QueueStream<number>(4, AbortSignal.abort()).ended).toBe(true)

    const t = new QueueStream<number>(4)
    t.push(1)
    t.push(2)
    for await (const x of t) {
      expect(x).toBe(1)
      break
    }
    expect(t.ended).toBe(true)
    expect(t.push(3)).toBe(false)
  })
})

describe('EventHub', () => {
  const ev = (type: 'member-join' | 'member-leave', name: string): NodeEvent => ({ type, members: [{ name } as never] })

  it('fans each event out to the readers whose filter takes it; a full reader loses it, counted', async () => {
    const hub = new EventHub()
    const all = hub.open({ buffer: 2 })
    const joins = hub.open({ filter: 'member-join' })
    for (const e of [ev('member-join', 'a'), ev('member-leave', 'a'), ev('member-join', 'b')]) hub.publish(e)
    expect(all.dropped).toBe(1)
    expect(hub.dropped).toBe(1)
    expect(hub.published).toBe(3)
    hub.close()
    expect((await drain(all)).map((e) => e.type)).toEqual(['member-join', 'member-leave'])
    expect((await drain(joins)).map((e) => (e as { members: { name: string }[] }).members[0]!.name)).toEqual(['a', 'b'])
    // After close: a new reader ends at once, sources are detached.
    expect(await drain(hub.open())).toEqual([])
  })

  it('refuses a bad filter or buffer before opening anything', () => {
    const hub = new EventHub()
    expect(() => hub.open({ filter: 'member-foo' })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_EVENT_FILTER' }))
    expect(() => hub.open({ buffer: 0 })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
    expect(hub.readers).toBe(0)
  })

  it("takes member-manager's member.event emits as member events and detaches them at close", () => {
    let handler: ((e: { type: 'member.event'; event: 'member-join'; members: never[] }) => void) | undefined
    let unsubscribed = 0
    const ref = { on: (_t: string, h: typeof handler) => ((handler = h), () => unsubscribed++) } as unknown as MemberEventEmitter
    const hub = new EventHub()
    hub.attach(memberEventSource(ref))
    const s = hub.open()
    handler!({ type: 'member.event', event: 'member-join', members: [] })
    expect(hub.published).toBe(1)
    hub.close()
    expect(unsubscribed).toBe(1)
    expect((s as QueueStream<NodeEvent>).ended).toBe(true)
  })
})

describe('LogRing', () => {
  const line = (i: number, level: LogLine['level'] = 'info'): LogLine => ({ level, time: i, subsystem: 'serf', message: `m${i}` })

  it('keeps the last 512 lines and replays them oldest first at the reader level, then live ones', async () => {
    const ring = new LogRing()
    for (let i = 0; i < 600; i++) ring.append(line(i, i % 2 === 0 ? 'debug' : 'warn'))
    expect(ring.overwritten).toBe(88)
    expect(ring.lines()[0]!.time).toBe(88)
    const ctl = new AbortController()
    const warn = ring.stream('warn', ctl.signal)
    ring.append(line(600, 'error'))
    ring.append(line(601, 'info'))
    ctl.abort()
    const got = await drain(warn)
    expect(got).toHaveLength(256 + 1)
    expect(got[0]!.time).toBe(89)
    expect(got.at(-1)!.time).toBe(600)
    expect(ring.readers).toBe(0)
  })

  it('bounds each reader (512) and counts what a slow one lost; close ends every reader', async () => {
    const ring = new LogRing(4)
    const s = ring.stream('trace')
    for (let i = 0; i < 10; i++) ring.append(line(i))
    expect(s.dropped).toBe(6)
    ring.close()
    expect((await drain(s)).map((l) => l.time)).toEqual([0, 1, 2, 3])
    // A reader that comes after the close gets the kept lines, then the end (never waits forever).
    expect((await drain(ring.stream('trace'))).map((l) => l.time)).toEqual([6, 7, 8, 9])
  })
})

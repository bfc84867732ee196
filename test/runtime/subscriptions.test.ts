/**
 * Subscriptions to an actor's emitted events (`ref.on`, `ref.events`), in both placements: typed
 * and wildcard handlers, forwarding only while subscribed (switched in order with messages),
 * bounded streams that drop the oldest and count it, events that cannot be cloned, handlers that
 * throw, and subscriptions that outlive a supervised restart and a thread restart.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ActorSystem, type Placement, type SystemEvent } from '../../src/runtime/index.ts'
import type { ClusterError } from '../../src/errors/cluster-error.ts'
import { emitter } from '../fixtures/actors/emitter/definition.ts'
import { emitterIo } from '../fixtures/actors/emitter/io.ts'
import type { EmitterInput } from '../fixtures/actors/emitter/protocol.ts'
import { waitFor, waitUntil } from './support/placement-suite.ts'

vi.setConfig({ testTimeout: 60_000 })

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

async function start(placement: Placement, input: EmitterInput = {}, supervision = {}) {
  system = await ActorSystem.start({ logLevel: 'silent' })
  const events: SystemEvent[] = []
  system.on((e) => events.push(e))
  const ref = await system.spawn(emitter, { id: 'e', placement, input, provide: emitterIo(input), supervision })
  return { sys: system, ref, events }
}

describe.each(['inline', 'worker'] as const)('placement %s - emitted events', (placement) => {
  it('calls a handler with the events of its type, a wildcard handler with all, in order, until unsubscribed', async () => {
    const { sys, ref } = await start(placement)
    const ticks: number[] = []
    const all: string[] = []
    const offTick = ref.on('emitter.tick', (e) => ticks.push(e.n))
    const offAll = ref.on('*', (e) => all.push(`${e.type}:${'n' in e ? e.n : '?'}`))
    // Subscribed before these messages on the same path: their events are forwarded.
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 3 })
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tock', count: 2 })
    await waitFor(() => all.length === 5)
    expect(ticks).toEqual([1, 2, 3])
    expect(all).toEqual(['emitter.tick:1', 'emitter.tick:2', 'emitter.tick:3', 'emitter.tock:4', 'emitter.tock:5'])
    offTick()
    offAll()
    await sys.sync()
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 2 })
    expect(await ref.ask({ type: 'emitter.get' })).toBe(7)
    await sys.sync()
    expect(ticks).toEqual([1, 2, 3])
    expect(all).toHaveLength(5)
  })

  it('forwards only the subscribed types, and nothing once nobody listens', async () => {
    const { sys, ref } = await start(placement)
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 4 })
    await ref.ask({ type: 'emitter.get' })
    expect((await ref.stats()).events.delivered).toBe(0)
    const ticks: number[] = []
    const off = ref.on('emitter.tick', (e) => ticks.push(e.n))
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tock', count: 5 })
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 1 })
    await waitFor(() => ticks.length === 1)
    // The five tocks never left the actor: only the tick reached the system thread.
    expect((await ref.stats()).events.delivered).toBe(1)
    off()
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 3 })
    expect(await ref.ask({ type: 'emitter.get' })).toBe(13)
    await sys.sync()
    expect((await ref.stats()).events.delivered).toBe(1)
  })

  it('iterates events and ends the iteration when the actor stops, after what was buffered', async () => {
    const { ref } = await start(placement)
    const stream = ref.events('emitter.tick')
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 3 })
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tock', count: 1 })
    const seen: number[] = []
    const loop = (async () => {
      for await (const e of stream) seen.push(e.n)
      return 'ended'
    })()
    await waitFor(() => seen.length === 3)
    await ref.stop()
    expect(await loop).toBe('ended')
    expect(seen).toEqual([1, 2, 3])
    // A stream asked for after the stop ends at once; a handler is never called.
    const late = ref.events()
    expect(await late.next()).toEqual({ value: undefined, done: true })
  })

  it('gives a stream each event once, whatever its list of types repeats', async () => {
    const { ref } = await start(placement)
    const both = ref.events(['*', 'emitter.tick'] as never)
    const twice = ref.events(['emitter.tick', 'emitter.tick'])
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 1 })
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tock', count: 1 })
    expect((await both.next()).value).toEqual({ type: 'emitter.tick', n: 1 })
    expect((await both.next()).value).toEqual({ type: 'emitter.tock', n: 2 })
    expect((await twice.next()).value).toEqual({ type: 'emitter.tick', n: 1 })
    // Both events have reached this thread: nothing else is waiting in either stream.
    await waitUntil(async () => (await ref.stats()).events.delivered === 2)
    expect(both.buffered + twice.buffered).toBe(0)
  })

  it('ends the iteration when the actor escalates (it will emit nothing more)', async () => {
    const { ref, events } = await start(placement, {}, { maxRestarts: 0 })
    const stream = ref.events('emitter.tick')
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 1 })
    expect((await stream.next()).value).toEqual({ type: 'emitter.tick', n: 1 })
    const pending = stream.next()
    ref.send({ type: 'emitter.crash' })
    await waitFor(() => events.some((e) => e.type === 'actor.escalated'))
    expect(await pending).toEqual({ value: undefined, done: true })
  })

  it('bounds a slow iterator: drops the oldest, counts it in the iterator and in the stats', async () => {
    const { ref } = await start(placement)
    const stream = ref.events(['emitter.tick'], { bufferSize: 3 })
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 10 })
    await waitFor(() => stream.dropped === 7)
    expect(stream.buffered).toBe(3)
    const got: number[] = []
    for (let i = 0; i < 3; i++) got.push(((await stream.next()).value as { n: number }).n)
    expect(got).toEqual([8, 9, 10])
    expect((await ref.stats()).events).toMatchObject({ delivered: 10, dropped: 7 })
    await stream.return?.()
  })

  it('ends an iteration when its signal aborts, and a break ends it too', async () => {
    const { sys, ref } = await start(placement)
    const ctl = new AbortController()
    const stream = ref.events(undefined, { signal: ctl.signal })
    const pending = stream.next()
    ctl.abort()
    expect(await pending).toEqual({ value: undefined, done: true })
    const broken = ref.events('emitter.tock')
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tock', count: 2 })
    for await (const e of broken) {
      expect(e.n).toBe(1)
      break
    }
    // Both streams are gone: nothing is forwarded any more.
    await sys.sync()
    const before = (await ref.stats()).events.delivered
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tock', count: 4 })
    await ref.ask({ type: 'emitter.get' })
    await sys.sync()
    expect((await ref.stats()).events.delivered).toBe(before)
  })

  it('refuses bad stream options with a coded error naming the field', async () => {
    const { ref } = await start(placement)
    const codeAndField = (f: () => unknown): [string, unknown] => {
      try {
        f()
        return ['none', undefined]
      } catch (err) {
        return [(err as ClusterError).code, (err as ClusterError).details?.['field']]
      }
    }
    expect(codeAndField(() => ref.events('emitter.tick', { bufferSize: 0 }))).toEqual(['ERR_INVALID_CONFIG', 'events.bufferSize'])
    expect(codeAndField(() => ref.events('emitter.tick', { bufferSize: 1.5 }))).toEqual(['ERR_INVALID_CONFIG', 'events.bufferSize'])
    expect(codeAndField(() => ref.events([] as never))).toEqual(['ERR_INVALID_CONFIG', 'events.types'])
    expect(codeAndField(() => ref.events('emitter.tick', { signal: 'x' as never }))).toEqual(['ERR_INVALID_CONFIG', 'events.signal'])
    expect(codeAndField(() => ref.events('emitter.tick', { bufferSiz: 3 } as never))).toEqual(['ERR_INVALID_CONFIG', 'events.bufferSiz'])
    expect(codeAndField(() => ref.on('' as never, () => {}))).toEqual(['ERR_INVALID_CONFIG', 'on.type'])
  })

  it('counts and logs a handler that throws; the other handlers and the actor carry on', async () => {
    const { ref } = await start(placement)
    const seen: number[] = []
    ref.on('emitter.tick', () => {
      throw new Error('handler bug')
    })
    ref.on('emitter.tick', (e) => seen.push(e.n))
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 2 })
    await waitFor(() => seen.length === 2)
    expect((await ref.stats()).events.handlerErrors).toBe(2)
    expect(await ref.ask({ type: 'emitter.get' })).toBe(2)
  })

  it('keeps subscriptions across a supervised restart', async () => {
    const { ref, events } = await start(placement)
    const seen: number[] = []
    ref.on('emitter.tick', (e) => seen.push(e.n))
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 1 })
    // Persisted after this turn: the restarted machine goes on from n = 1.
    expect(await ref.ask({ type: 'emitter.get' })).toBe(1)
    ref.send({ type: 'emitter.crash' })
    await waitFor(() => events.some((e) => e.type === 'actor.started' && e.restarts === 1))
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 1 })
    await waitFor(() => seen.length === 2)
    expect(seen).toEqual([1, 2])
  })

  it(placement === 'worker' ? 'counts and reports an event that cannot be cloned, and carries on' : 'passes an inline event by reference (nothing to clone)', async () => {
    const { ref, events } = await start(placement)
    const bad: unknown[] = []
    ref.on('emitter.bad', (e) => bad.push(e.fn))
    const ticks: number[] = []
    ref.on('emitter.tick', (e) => ticks.push(e.n))
    ref.send({ type: 'emitter.emit-uncloneable' })
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 1 })
    await waitFor(() => ticks.length === 1)
    const stats = (await ref.stats()).events
    if (placement === 'worker') {
      await waitFor(() => events.some((e) => e.type === 'event.uncloneable'))
      const report = events.find((e) => e.type === 'event.uncloneable')
      expect(report).toMatchObject({ actor: 'e', eventType: 'emitter.bad', error: { code: 'ERR_ACTOR_INVALID_MESSAGE' } })
      expect(stats).toMatchObject({ uncloneable: 1, delivered: 1 })
      expect(bad).toEqual([])
    } else {
      expect(stats).toMatchObject({ uncloneable: 0, delivered: 2 })
      expect(typeof bad[0]).toBe('function')
    }
  })
})

describe('placement worker - emitted events', () => {
  it('keeps subscriptions across a thread restart', async () => {
    const { ref, events } = await start('worker')
    const seen: number[] = []
    ref.on('emitter.tick', (e) => seen.push(e.n))
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 1 })
    await waitFor(() => seen.length === 1)
    ref.send({ type: 'emitter.kill-thread' })
    await waitFor(() => events.some((e) => e.type === 'actor.crashed'))
    await waitFor(() => events.some((e) => e.type === 'actor.started' && e.restarts === 1))
    ref.send({ type: 'emitter.emit', eventType: 'emitter.tick', count: 1 })
    await waitFor(() => seen.length === 2)
    expect(seen).toEqual([1, 2])
  })
})

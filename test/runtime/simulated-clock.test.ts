import { describe, expect, it, vi } from 'vitest'
import { createActor, setup } from 'xstate'
import { ActorSystem, SimulatedClock, type InspectionEvent } from '../../src/runtime/index.ts'
import { minutes } from '../../src/types/time.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'

const realSetTimeout = globalThis.setTimeout
const realSetInterval = globalThis.setInterval

const chain = setup({}).createMachine({
  initial: 'a',
  states: { a: { after: { 1000: 'b' } }, b: { after: { 1000: 'c' } }, c: {} },
})

describe('SimulatedClock', () => {
  it('fires timers started by timers when one advance spans them (advanceSync)', () => {
    const clock = new SimulatedClock()
    const actor = createActor(chain, { clock }).start()
    clock.advanceSync(5000)
    expect(actor.getSnapshot().value).toBe('c')
    expect(clock.now()).toBe(5000)
    actor.stop()
  })

  it('fires due timers in deadline order, ties in the order they were set, and honours clearTimeout', () => {
    const clock = new SimulatedClock(100)
    const fired: string[] = []
    clock.setTimeout(() => fired.push('b@300'), 200)
    clock.setTimeout(() => fired.push('a@150'), 50)
    clock.setTimeout(() => fired.push('c@300'), 200)
    const cancelled = clock.setTimeout(() => fired.push('never'), 10)
    clock.clearTimeout(cancelled)
    clock.setTimeout(() => clock.setTimeout(() => fired.push('d@350'), 50), 200)
    clock.advanceSync(1000)
    expect(fired).toEqual(['a@150', 'b@300', 'c@300', 'd@350'])
    expect(clock.pending).toBe(0)
    expect(clock.now()).toBe(1100)
  })

  it('runs ten simulated minutes of an inline actor timer, deadline by deadline, on no real timer', async () => {
    const clock = new SimulatedClock()
    const system = await ActorSystem.start({ clock, logLevel: 'silent' })
    const a = await system.spawn(counter, { id: 'a', placement: 'inline' })
    a.send({ type: 'counter.start-ticking', everyMs: 100 })
    const firedBefore = clock.fired
    // Virtual time must not wait on real time: while ten minutes pass, nothing (clock, runtime,
    // actor) may arm a real timer, not even of 0 ms (Node waits 1 ms); setImmediate (a turn) may.
    const realTimers: string[] = []
    const spies = (['setTimeout', 'setInterval'] as const).map((name) =>
      vi.spyOn(globalThis, name).mockImplementation(((fn: () => void, ms?: number, ...args: unknown[]) => {
        realTimers.push(`${name}(${ms ?? 0})`)
        return (name === 'setTimeout' ? realSetTimeout : realSetInterval)(fn, ms, ...(args as []))
      }) as never),
    )
    try {
      await clock.advance(minutes(10))
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
    expect(realTimers).toEqual([])
    const view = a.ask({ type: 'counter.get' })
    await clock.advance(0)
    expect((await view).ticks).toBe(6000)
    expect(clock.now()).toBe(600_000)
    // Each tick at its own deadline: 6000 timers fired, the last tick entered at exactly 10 min.
    expect(clock.fired - firedBefore).toBe(6000)
    expect((await a.getSnapshot()).context.lastTickAt).toBe(600_000)
    await system.shutdown()
  })

  it('times asks out in virtual time', async () => {
    const clock = new SimulatedClock()
    const system = await ActorSystem.start({ clock, logLevel: 'silent' })
    const a = await system.spawn(counter, { id: 'a', placement: 'inline' })
    let outcome = 'pending'
    a.ask({ type: 'counter.ignore' }, { timeoutMs: 1000 }).catch((e: { code: string }) => (outcome = e.code))
    await clock.advance(999)
    expect(outcome).toBe('pending')
    await clock.advance(1)
    expect(outcome).toBe('ERR_ACTOR_ASK_TIMEOUT')
    await system.shutdown()
  })

  it('waits out the restart backoff in virtual time', async () => {
    const clock = new SimulatedClock()
    const system = await ActorSystem.start({ clock, logLevel: 'silent', supervision: { backoffMs: 500 } })
    const restarts: number[] = []
    system.on((e) => {
      if (e.type === 'actor.started' && e.restarts > 0) restarts.push(clock.now())
    })
    const a = await system.spawn(counter, { id: 'a', placement: 'inline' })
    a.send({ type: 'counter.inc', by: 3 })
    await clock.advance(10)
    a.send({ type: 'counter.crash' })
    await clock.advance(499)
    expect(restarts).toEqual([])
    await clock.advance(1)
    expect(restarts).toEqual([510])
    const view = a.ask({ type: 'counter.get' })
    await clock.advance(0)
    expect((await view).n).toBe(3)
    await system.shutdown()
  })

  it('gives the same trace for the same seed', async () => {
    const run = async (seed: number): Promise<string> => {
      const clock = new SimulatedClock()
      const system = await ActorSystem.start({ clock, seed, logLevel: 'silent' })
      const trace: InspectionEvent[] = []
      system.inspect((e) => trace.push(e))
      const a = await system.spawn(counter, { id: 'a', placement: 'inline' })
      const b = await system.spawn(counter, { id: 'b', placement: 'inline' })
      a.send({ type: 'counter.start-ticking', everyMs: 250 })
      b.send({ type: 'counter.start-ticking', everyMs: 400 })
      for (let i = 0; i < 20; i++) {
        a.send({ type: 'counter.roll' })
        b.send({ type: 'counter.forward', to: a.id, by: i })
        await clock.advance(137)
      }
      const view = a.ask({ type: 'counter.get' })
      await clock.advance(0)
      const { rolled } = await view
      await system.shutdown()
      return JSON.stringify({ rolled, trace })
    }
    const first = await run(7)
    expect(await run(7)).toBe(first)
    expect(await run(8)).not.toBe(first)
  })
})

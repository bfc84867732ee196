import { describe, expect, it, vi } from 'vitest'
import { createActor, setup } from 'xstate'
import { ActorSystem, SimulatedClock, type InspectionEvent } from '../../src/runtime/index.ts'
import { ClockBackwardsError } from '../../src/runtime/simulated-clock.ts'
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

  it('fires timers set by timers within the same step (runUntil), and refuses to go back with a coded error', () => {
    const clock = new SimulatedClock()
    const at: number[] = []
    clock.setTimeout(() => clock.setTimeout(() => at.push(clock.now()), 5), 5)
    clock.runUntil(100)
    expect(at).toEqual([10])
    expect(() => clock.runUntil(50)).toThrow(expect.objectContaining({ code: 'ERR_CLOCK_BACKWARDS', details: { nowMs: 100, targetMs: 50 } }))
    expect(() => clock.advanceSync(-1)).toThrow(ClockBackwardsError)
    expect(() => clock.advanceSync(Number.NaN)).toThrow(ClockBackwardsError)
    expect(clock.now()).toBe(100)
  })

  it('refuses a negative async advance too (the old runtime clock clamped it to 0 and said nothing)', async () => {
    const clock = new SimulatedClock(10)
    await expect(clock.advance(-5)).rejects.toMatchObject({ code: 'ERR_CLOCK_BACKWARDS' })
    expect(clock.now()).toBe(10)
  })

  it('counts a NaN or negative delay as 0 ms (the simulator clock ran a NaN-delay timer at time NaN)', () => {
    const clock = new SimulatedClock(50)
    const fired: string[] = []
    clock.setTimeout(() => fired.push(`later@${clock.now()}`), 1)
    clock.setTimeout(() => fired.push(`nan@${clock.now()}`), Number.NaN)
    clock.setTimeout(() => fired.push(`negative@${clock.now()}`), -20)
    expect(clock.nextDeadline()).toBe(50)
    clock.runUntil(50)
    expect(fired).toEqual(['nan@50', 'negative@50'])
    clock.advanceSync(1)
    expect(fired).toEqual(['nan@50', 'negative@50', 'later@51'])
  })

  it('hands out timer ids that are plain data (a context that keeps one can be copied)', () => {
    const clock = new SimulatedClock()
    const id = clock.setTimeout(() => {}, 10)
    expect(structuredClone({ timer: id })).toEqual({ timer: id })
    clock.clearTimeout(structuredClone(id))
    expect(clock.pending).toBe(0)
    clock.clearTimeout({ not: 'an id' }) // a foreign id is ignored
    clock.clearTimeout(id) // and so is a second clear
    expect(clock.pending).toBe(0)
  })

  it('runUntilTrue stops as soon as the predicate holds, and otherwise ends at the limit', () => {
    const clock = new SimulatedClock()
    let n = 0
    for (let i = 1; i <= 10; i++) clock.setTimeout(() => n++, i * 10)
    expect(clock.runUntilTrue(() => n >= 3, 1000)).toBe(30)
    expect(clock.runUntilTrue(() => n >= 3, 1000)).toBe(30) // already true: time stays
    expect(clock.runUntilTrue(() => n >= 99, 500)).toBeUndefined()
    expect(clock.now()).toBe(500)
    expect(clock.fired).toBe(10)
  })

  it('keeps the heap bounded when timers are re-armed far ahead (cancelled ones are purged), order intact', () => {
    const clock = new SimulatedClock()
    const fired: number[] = []
    const handles = new Map<number, number>()
    for (let round = 0; round < 20_000; round++) {
      for (let k = 0; k < 5; k++) {
        const old = handles.get(k)
        if (old !== undefined) clock.clearTimeout(old)
        handles.set(k, clock.setTimeout(() => fired.push(k), 60_000 + k))
      }
    }
    expect(clock.pending).toBe(5)
    expect(clock.heapSize).toBeLessThan(3_000)
    clock.runUntil(100_000)
    expect(fired).toEqual([0, 1, 2, 3, 4])
    expect(clock.heapSize).toBe(0)
  })

  it('gives the synchronous and the asynchronous drivers the same firing order and times', async () => {
    // A schedule with ties, chains (a timer that sets timers, one of 0 ms) and cancellations.
    const schedule = (clock: SimulatedClock, log: string[]) => {
      const cancel: number[] = []
      for (let i = 0; i < 40; i++) {
        const id = clock.setTimeout(() => {
          log.push(`${i}@${clock.now()}`)
          if (i % 7 === 0) clock.setTimeout(() => log.push(`${i}.0@${clock.now()}`), 0)
          if (i % 5 === 0) clock.setTimeout(() => log.push(`${i}.chained@${clock.now()}`), (i * 13) % 17)
          const victim = cancel[i + 3]
          if (victim !== undefined) clock.clearTimeout(victim)
        }, (i * 37) % 50)
        cancel.push(id)
      }
    }
    const sync: string[] = []
    const syncClock = new SimulatedClock()
    schedule(syncClock, sync)
    syncClock.advanceSync(100)
    const stepped: string[] = []
    const steppedClock = new SimulatedClock()
    schedule(steppedClock, stepped)
    for (let t = 0; t < 100; t += 9) steppedClock.runUntil(Math.min(100, t))
    steppedClock.runUntil(100)
    const async: string[] = []
    const asyncClock = new SimulatedClock()
    schedule(asyncClock, async)
    await asyncClock.advance(100)
    // The schedule exercises what it claims: some cancelled, some chained, some 0-ms follow-ups.
    expect(sync.filter((e) => /^\d+@/.test(e)).length).toBeLessThan(40)
    expect(sync.some((e) => e.includes('.0@'))).toBe(true)
    expect(sync.some((e) => e.includes('.chained@'))).toBe(true)
    expect(stepped).toEqual(sync)
    expect(async).toEqual(sync)
    expect([syncClock.now(), steppedClock.now(), asyncClock.now()]).toEqual([100, 100, 100])
    expect([syncClock.fired, steppedClock.fired, asyncClock.fired]).toEqual([sync.length, sync.length, sync.length])
  })

  it('next() moves to the next deadline only, and says when nothing is left', async () => {
    const clock = new SimulatedClock()
    const fired: number[] = []
    clock.setTimeout(() => fired.push(clock.now()), 30)
    clock.setTimeout(() => fired.push(clock.now()), 70)
    expect(await clock.next()).toBe(true)
    expect([clock.now(), fired]).toEqual([30, [30]])
    expect(await clock.next()).toBe(true)
    expect(await clock.next()).toBe(false)
    expect([clock.now(), fired]).toEqual([70, [30, 70]])
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

/**
 * Asks that share one AbortSignal (swim's runner passes one to every fill and state ask; a caller
 * may pass one to a burst of pings) add one 'abort' listener per table, not one per ask: 50 at once
 * once printed "MaxListenersExceededWarning: ... 11 abort listeners added to [AbortSignal]". And an
 * ask's timeout is checked where the ask starts (NaN never expired; past 2^31 - 1 ms a Node timer
 * fires after 1 ms).
 */
import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { AskTable } from '../../src/runtime/ask-table.ts'
import { createAsk } from '../../src/runtime/env-ask.ts'
import { ActorSystem, SimulatedClock } from '../../src/runtime/index.ts'
import type { ClusterError } from '../../src/errors/cluster-error.ts'
import type { ActorClock } from '../../src/types/time.ts'
import { TIMER_MAX_MS } from '../../src/config/values.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'
import { counterIo } from '../fixtures/actors/counter/io.ts'

const turns = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}

/** Collects the process warnings emitted while `fn` runs (and a few turns after). */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = []
  const onWarning = (w: Error) => void seen.push(`${w.name}: ${w.message}`)
  process.on('warning', onWarning)
  try {
    await fn()
    await turns()
  } finally {
    process.off('warning', onWarning)
  }
  return seen
}

describe('asks sharing one AbortSignal', () => {
  it('add one listener for 50 asks, remove it when the last settles, and emit no warning', async () => {
    const table = new AskTable(new SimulatedClock())
    const controller = new AbortController()
    const warnings = await warningsDuring(async () => {
      const asks = Array.from({ length: 50 }, (_, i) => table.open('a', `t${i}`, 1000, controller.signal))
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
      expect(table.watchedSignals).toBe(1)
      for (const [i, { cid }] of asks.entries()) table.resolve(cid, i)
      expect(await Promise.all(asks.map((a) => a.promise))).toEqual(Array.from({ length: 50 }, (_, i) => i))
    })
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    expect(table.watchedSignals).toBe(0)
  })

  it('fail every ask still waiting when the signal aborts, and leave the settled ones alone', async () => {
    const table = new AskTable(new SimulatedClock())
    const controller = new AbortController()
    const asks = Array.from({ length: 50 }, (_, i) => table.open('a', `t${i}`, 1000, controller.signal))
    table.resolve(asks[0]!.cid, 'first')
    controller.abort(new Error('stop'))
    const outcomes = await Promise.allSettled(asks.map((a) => a.promise))
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'first' })
    const codes = outcomes.slice(1).map((o) => (o.status === 'rejected' ? (o.reason as ClusterError).code : 'fulfilled'))
    expect(new Set(codes)).toEqual(new Set(['ERR_ACTOR_ASK_ABORTED']))
    expect(codes).toHaveLength(49)
    expect(table.size).toBe(0)
    expect(table.watchedSignals).toBe(0)
  })

  it('fail an ask opened on a signal that already aborted at once, not at its timeout', async () => {
    const table = new AskTable(new SimulatedClock())
    const aborted = AbortSignal.abort()
    await expect(table.open('a', 't', 1000, aborted).promise).rejects.toMatchObject({ code: 'ERR_ACTOR_ASK_ABORTED' })
    expect(table.size).toBe(0)
    expect(getEventListeners(aborted, 'abort')).toHaveLength(0)
  })

  describe('through ActorRef.ask', () => {
    let system: ActorSystem | undefined
    afterEach(async () => {
      await system?.shutdown({ drainTimeoutMs: 1000 })
      system = undefined
    })

    it('50 concurrent asks with one signal print no MaxListenersExceededWarning, and an abort fails them all', async () => {
      system = await ActorSystem.start({ logLevel: 'silent', clock: new SimulatedClock() })
      const c = await system.spawn(counter, { id: 'c', placement: 'inline', provide: counterIo })
      const controller = new AbortController()
      let outcomes: PromiseSettledResult<unknown>[] = []
      const warnings = await warningsDuring(async () => {
        const asks = Array.from({ length: 50 }, () => c.ask({ type: 'counter.ignore' }, { timeoutMs: 60_000, signal: controller.signal }))
        await turns()
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
        controller.abort()
        outcomes = await Promise.allSettled(asks)
      })
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([])
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as ClusterError).code : 'fulfilled'))).toEqual(Array(50).fill('ERR_ACTOR_ASK_ABORTED'))
    })
  })
})

describe('ask timeouts', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown({ drainTimeoutMs: 1000 })
    system = undefined
  })

  it.each([[Number.NaN], [-1], [0], [3e9], ['100']])('ActorRef.ask refuses timeoutMs %j at once, before sending', async (timeoutMs) => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', clock })
    const c = await system.spawn(counter, { id: 'c', placement: 'inline', provide: counterIo })
    let outcome: string | undefined
    c.ask({ type: 'counter.get' }, { timeoutMs: timeoutMs as number }).then(
      () => (outcome = 'resolved'),
      (e: ClusterError) => (outcome = `${e.code}: ${e.message}`),
    )
    await turns()
    await clock.advance(10)
    await turns()
    expect(outcome).toMatch(/^ERR_ACTOR_INVALID_MESSAGE: .*ask timeoutMs must be a number of ms in \(0, 2147483647\] \(got .+\)$/)
  })

  it('env.ask refuses a timeout past what a Node timer holds', async () => {
    const sent: unknown[] = []
    const { ask } = createAsk({ id: 'me', clock: new SimulatedClock(), send: (_to, m) => (sent.push(m), 'ok') })
    await expect(ask('c' as never, { type: 'x' }, { timeoutMs: 3e9 })).rejects.toMatchObject({ code: 'ERR_ACTOR_INVALID_MESSAGE', message: expect.stringContaining('(got 3000000000)') })
    expect(sent).toEqual([])
  })

  it('never arms a timer longer than a Node timer holds, even after the wall clock steps back', () => {
    const timers: { fn: () => void; ms: number }[] = []
    let now = 0
    const clock: ActorClock = {
      now: () => now,
      setTimeout: (fn, ms) => timers.push({ fn, ms }),
      clearTimeout: () => {},
    }
    const table = new AskTable(clock)
    table.open('a', 't', 1000, undefined)
    expect(timers.map((t) => t.ms)).toEqual([1000])
    // Date.now stepped back 35 days (a bad NTP fix) before the sweep: the deadline is far away again.
    now = -35 * 86_400_000
    timers[0]!.fn()
    expect(timers).toHaveLength(2)
    expect(timers[1]!.ms).toBe(TIMER_MAX_MS)
    expect(table.size).toBe(1)
  })
})

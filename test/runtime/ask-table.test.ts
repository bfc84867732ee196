import { describe, expect, it } from 'vitest'
import { AskTable } from '../../src/runtime/ask-table.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'

describe('AskTable', () => {
  it('expires each ask at its own deadline, whatever the mix of timeouts, and keeps no timer when idle', async () => {
    const clock = new SimulatedClock()
    const asks = new AskTable(clock)
    const outcome = new Map<string, string>()
    const track = (name: string, timeoutMs: number) => {
      const { cid, promise } = asks.open('a', name, timeoutMs, undefined)
      promise.then(
        () => outcome.set(name, `ok@${clock.now()}`),
        (e: { code: string }) => outcome.set(name, `${e.code}@${clock.now()}`),
      )
      return cid
    }
    track('slow', 1000)
    await clock.advance(100)
    track('fast', 50)
    const answered = track('answered', 1000)
    track('later', 1000)
    asks.resolve(answered, 1)
    await clock.advance(2000)
    expect(Object.fromEntries(outcome)).toEqual({
      fast: 'ERR_ACTOR_ASK_TIMEOUT@150',
      answered: 'ok@100',
      slow: 'ERR_ACTOR_ASK_TIMEOUT@1000',
      later: 'ERR_ACTOR_ASK_TIMEOUT@1100',
    })
    expect(asks.size).toBe(0)
    await clock.advance(2000) // the sweep finds nothing left and stops re-arming
    expect(clock.pending).toBe(0)
  })

  it('fails the asks of one actor only', async () => {
    const asks = new AskTable(new SimulatedClock())
    const a = asks.open('a', 't', 100, undefined).promise.catch((e: { code: string }) => e.code)
    const b = asks.open('b', 't', 100, undefined)
    expect(asks.failActor('a', () => Object.assign(new Error('x'), { code: 'ERR_ACTOR_CRASHED' }) as never)).toBe(1)
    expect(await a).toBe('ERR_ACTOR_CRASHED')
    asks.resolve(b.cid, 7)
    expect(await b.promise).toBe(7)
  })
})

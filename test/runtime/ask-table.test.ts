import { describe, expect, it } from 'vitest'
import { AskTable, EPOCHS } from '../../src/runtime/ask-table.ts'
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

  it('counts a reply that finds no pending ask (after a timeout, an abort or a failure) and ignores it', async () => {
    const clock = new SimulatedClock()
    const asks = new AskTable(clock)
    const timedOut = asks.open('a', 't', 10, undefined)
    const timedOutCode = timedOut.promise.catch((e: { code: string }) => e.code)
    const ctl = new AbortController()
    const aborted = asks.open('a', 't', 1000, ctl.signal)
    const abortedCode = aborted.promise.catch((e: { code: string }) => e.code)
    await clock.advance(10)
    ctl.abort()
    expect([await timedOutCode, await abortedCode]).toEqual(['ERR_ACTOR_ASK_TIMEOUT', 'ERR_ACTOR_ASK_ABORTED'])
    asks.resolve(timedOut.cid, 'late')
    asks.reject(aborted.cid, { code: 'ERR_X', message: 'late too' })
    asks.resolve(123_456, 'never asked')
    expect(asks.late).toBe(3)
    expect(asks.size).toBe(0)
  })

  it('never hands out an id an earlier epoch used, so a new incarnation cannot take an old reply', () => {
    const clock = new SimulatedClock()
    const ids = (epoch: number) => {
      const t = new AskTable(clock, epoch)
      return Array.from({ length: 100 }, () => t.open('a', 't', 1000, undefined).cid)
    }
    const seen = new Set<number>()
    for (const epoch of [0, 1, 2, EPOCHS - 1]) for (const cid of ids(epoch)) {
      expect(seen.has(cid)).toBe(false)
      seen.add(cid)
    }
    // An old incarnation's reply arrives at a table of a later epoch: counted late, not matched.
    const newer = new AskTable(clock, 1)
    const pending = newer.open('a', 't', 1000, undefined)
    newer.resolve(new AskTable(clock, 0).open('a', 't', 1000, undefined).cid, 'old')
    expect(newer.late).toBe(1)
    expect(newer.size).toBe(1)
    newer.resolve(pending.cid, 'mine')
    return expect(pending.promise).resolves.toBe('mine')
  })
})

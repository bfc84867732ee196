/**
 * StreamByteBudget and its use by readOneMessage: the bytes held by all reads together stay within
 * the budget whatever the number of streams; a read the budget cannot cover fails with
 * ERR_TRANSPORT_BUDGET and closes its stream; a released lease gives its bytes back.
 */
import { describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../../src/transport/memory-network.ts'
import { StreamByteBudget } from '../../src/transport/stream-budget.ts'
import { readOneMessage } from '../../src/transport/stream-reader.ts'
import type { ParseResult } from '../../src/transport/stream-reader.ts'
import type { Stream } from '../../src/transport/transport.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../src/types/random.ts'

describe('StreamByteBudget', () => {
  it('grants growth up to the limit, refuses past it (counted), and takes released bytes back', () => {
    const budget = new StreamByteBudget(1000)
    const a = budget.lease()
    const b = budget.lease()
    expect(a.resize(600)).toBe(true)
    expect(b.resize(500)).toBe(false) // 1100 > 1000: nothing changed
    expect(budget).toMatchObject({ usedBytes: 600, refused: 1 })
    expect(b.resize(400)).toBe(true)
    expect(budget).toMatchObject({ usedBytes: 1000, peakBytes: 1000 })
    expect(a.resize(100)).toBe(true) // shrinking always fits
    expect(budget.usedBytes).toBe(500)
    a.release()
    a.release() // idempotent
    expect(budget.usedBytes).toBe(400)
    expect(a.resize(10)).toBe(false) // a released lease holds nothing more
    b.release()
    expect(budget).toMatchObject({ usedBytes: 0, peakBytes: 1000 })
  })

  it('refuses a limit that is not an integer >= 0', () => {
    expect(() => new StreamByteBudget(-1)).toThrow(RangeError)
    expect(() => new StreamByteBudget(1.5)).toThrow(RangeError)
  })
})

/** A framing without an end: never complete (an endless stream). */
const endless = (): ParseResult<never> => ({ done: false })

function world(streams: number) {
  const clock = new SimulatedClock()
  const net = new MemoryNetwork({ clock, random: createSeededRandom(5) })
  const server = net.createTransport('10.2.0.1:7946')
  const accepted: Stream[] = []
  server.onStream((s) => accepted.push(s))
  const clients: Stream[] = []
  for (let i = 0; i < streams; i++) net.createTransport(`10.2.1.${i + 1}:7946`).dialCallback(server.localAddress, 1000, (_e, s) => clients.push(s!))
  clock.advanceSync(10)
  return { clock, accepted, clients }
}

describe('readOneMessage with a shared budget', () => {
  it('holds at most the budget across many endless streams; the ones past it are refused and closed', () => {
    const { clock, accepted, clients } = world(8)
    expect(accepted.length).toBe(8)
    // Eight endless reads, each capped at 1 MiB, sharing a 256 KiB budget.
    const budget = new StreamByteBudget(256 * 1024)
    const outcomes: string[] = []
    const leases = accepted.map((s) => {
      const lease = budget.lease()
      readOneMessage(s, { maxBytes: 1 << 20, parse: endless, lease }, (err) => {
        outcomes.push(err?.code ?? 'ok')
        lease.release()
      })
      return lease
    })
    const chunk = new Uint8Array(16 * 1024)
    for (let round = 0; round < 16; round++) {
      for (const c of clients) c.write(chunk)
      clock.advanceSync(5)
      expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes)
    }
    // 8 × 256 KiB were sent; the budget held 256 KiB at most, and every stream it could not cover
    // was refused with a code (its lease released, so others could grow meanwhile).
    expect(outcomes.length).toBeGreaterThan(0)
    expect(new Set(outcomes)).toEqual(new Set(['ERR_TRANSPORT_BUDGET']))
    expect(budget.peakBytes).toBeLessThanOrEqual(256 * 1024)
    expect(budget.refused).toBeGreaterThanOrEqual(outcomes.length)
    expect(leases.reduce((n, l) => n + l.bytes, 0)).toBe(budget.usedBytes)
  })

  it('grows by exactly what is needed when doubling would pass the budget', () => {
    const { clock, accepted, clients } = world(1)
    const budget = new StreamByteBudget(2800)
    let err: string | undefined
    const lease = budget.lease()
    readOneMessage(accepted[0]!, { maxBytes: 1 << 20, parse: endless, lease }, (e) => (err = e?.code))
    clients[0]!.write(new Uint8Array(1500)) // capacity 1500 (above the 1 KiB floor)
    clock.advanceSync(5)
    expect(lease.bytes).toBe(1500)
    clients[0]!.write(new Uint8Array(1000)) // doubling wants 3000 > 2800: just the 2500 needed
    clock.advanceSync(5)
    expect(lease.bytes).toBe(2500)
    clients[0]!.write(new Uint8Array(300)) // 2800: exactly the budget
    clock.advanceSync(5)
    expect(err).toBeUndefined()
    expect(lease.bytes).toBe(2800)
    clients[0]!.write(new Uint8Array(1)) // one byte past it: refused
    clock.advanceSync(5)
    expect(err).toBe('ERR_TRANSPORT_BUDGET')
  })
})

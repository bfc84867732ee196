/**
 * A full-rate producer must not starve the receiving thread: while a worker actor is flooded, its
 * own setImmediate and fs callbacks still run within a bounded number of handled messages (counted
 * in messages, not time, so the bound holds on a loaded machine). Before the per-turn credit
 * budget, credit went back synchronously and the thread kept handling port messages (up to 1,000
 * postMessages of up to 256 items per callback) while its callbacks waited: 72,703 items between
 * two setImmediates in this test. With credit withheld past the budget, at most 6,143 (the budget
 * plus the window already in flight); with the port paused past the budget instead (credit still
 * going back at once), at most the budget plus one batch: 4,351.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../src/runtime/index.ts'
import { TURN_CREDIT_ITEMS } from '../../src/runtime/turn-budget.ts'
import { MAX_BATCH } from '../../src/runtime/link-wire.ts'
import { sink } from './support/sink/definition.ts'

const CAPACITY = 2048
const ITEMS = 300_000

describe('link fairness under a full-rate producer', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown({ drainTimeoutMs: 10_000 })
    system = undefined
  })

  it("lets the flooded worker's setImmediate callbacks run within a bounded number of messages", { timeout: 120_000 }, async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const ref = await system.spawn(sink, { id: 'sink', mailbox: { capacity: CAPACITY } })
    // The producer: as fast as the mailbox takes them, waiting only when told to back off.
    for (let i = 0; i < ITEMS; i++) {
      const status = ref.send({ type: 'sink.item', i })
      expect(status === 'ok' || status === 'backpressure').toBe(true)
      if (status === 'backpressure') await ref.ready()
    }
    const meter = await ref.ask({ type: 'sink.meter' }, { timeoutMs: 60_000 })
    expect(meter.n).toBe(ITEMS)
    expect(meter.immediates).toBeGreaterThan(0)
    expect(meter.fsCallbacks).toBeGreaterThan(0)
    // Per turn: the thread's budget, plus the rest of the port message (one batch) that crossed it;
    // then the port pauses until the check phase, where the callback runs.
    const bound = TURN_CREDIT_ITEMS + MAX_BATCH
    expect(meter.maxImmediateGap).toBeLessThanOrEqual(bound)
    // fs callbacks ran during the flood too; how many items their thread-pool round trip spans
    // depends on the machine's load, so only the setImmediate gap (turns, in items) is bounded.
  })
})

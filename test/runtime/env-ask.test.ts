import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, SimulatedClock } from '../../src/runtime/index.ts'
import type { ClusterError } from '../../src/errors/cluster-error.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'
import { counterIo } from '../fixtures/actors/counter/io.ts'
import { asker } from './support/asker/definition.ts'

/** Watches a promise: `outcome()` is undefined while pending, then 'resolved' or the error code. */
function watch(p: Promise<unknown>): () => string | undefined {
  let out: string | undefined
  p.then(
    () => (out = 'resolved'),
    (e: ClusterError) => (out = e.code),
  )
  return () => out
}

const turns = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}

describe('env.ask on a simulated clock', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown({ drainTimeoutMs: 1000 })
    system = undefined
  })

  it('times out in virtual time and leaves no timer behind when the asker stops', async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', clock })
    const q = await system.spawn(asker, { id: 'q', placement: 'inline' })
    await system.spawn(counter, { id: 'c', placement: 'inline', provide: counterIo })
    const before = clock.pending
    const outer = q.ask({ type: 'asker.ask', to: 'c', request: { type: 'counter.ignore' }, timeoutMs: 1000 } as never, { timeoutMs: 60_000 })
    const first = watch(outer)
    await clock.advance(999)
    await turns()
    expect(first()).toBeUndefined()
    await clock.advance(1)
    await turns()
    expect(first()).toBe('ERR_ACTOR_ASK_TIMEOUT')
    expect(clock.now()).toBe(1000)

    // A pending ask is failed (and its timer dropped) when the asker stops.
    const pendingBefore = clock.pending
    const second = watch(q.ask({ type: 'asker.ask', to: 'c', request: { type: 'counter.ignore' }, timeoutMs: 50_000 } as never, { timeoutMs: 60_000 }))
    await turns()
    expect(clock.pending).toBeGreaterThan(pendingBefore)
    await q.stop()
    await turns()
    expect(second()).toMatch(/^ERR_/)
    expect(clock.pending).toBeLessThanOrEqual(Math.max(before, pendingBefore))
  })
})

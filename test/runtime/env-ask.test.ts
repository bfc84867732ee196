import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, SimulatedClock } from '../../src/runtime/index.ts'
import type { ClusterError } from '../../src/errors/cluster-error.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'
import { counterIo } from '../fixtures/actors/counter/io.ts'
import { asker } from './support/asker/definition.ts'
import { createAsk } from '../../src/runtime/env-ask.ts'
import type { Message, SendStatus } from '../../src/types/actor-env.ts'

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

describe('env.ask when the asker crashes, on a simulated clock', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown({ drainTimeoutMs: 1000 })
    system = undefined
  })

  it('fails the pending ask at the crash and drops its timer; the restarted asker starts clean', async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', clock, supervision: { backoffMs: 10 } })
    const q = await system.spawn(asker, { id: 'q', placement: 'inline' })
    const rec = await system.spawn(asker, { id: 'rec', placement: 'inline' })
    await system.spawn(counter, { id: 'c', placement: 'inline', provide: counterIo })
    await turns()
    const idle = clock.pending
    q.send({ type: 'asker.ask', to: 'c', request: { type: 'counter.ignore' }, timeoutMs: 50_000, reportTo: rec.id, label: 'pending' } as never)
    await turns()
    expect(clock.pending).toBe(idle + 1)
    q.send({ type: 'asker.crash' })
    await turns()
    // The ask's timer is gone; only the restart backoff is armed now, and after it nothing.
    expect(clock.pending).toBe(idle + 1)
    await clock.advance(10)
    await turns()
    expect(clock.pending).toBe(idle)
    expect(clock.now()).toBe(10)
    const outcomes = (await rec.ask({ type: 'asker.outcomes' } as never, { timeoutMs: 1000 })) as { label: string; outcome: string }[]
    expect(outcomes).toEqual([{ label: 'pending', outcome: 'ERR_ACTOR_STOPPED' }])
    expect((await q.stats()).restarts).toBe(1)
    expect(await q.ask({ type: 'asker.ping' } as never, { timeoutMs: 1000 })).toBe('pong from q')
  })
})

describe('createAsk (the ask of a hand-built env)', () => {
  it('sends the request with a reply token, answers from the table, and maps refused sends to codes at once', async () => {
    const clock = new SimulatedClock()
    const sent: { to: string; msg: Message }[] = []
    const statuses: Record<string, SendStatus> = { full: 'rejected', gone: 'stopped', nobody: 'unknown' }
    const { ask, table } = createAsk({
      id: 'me',
      clock,
      send: (to, msg) => {
        sent.push({ to, msg })
        return statuses[to] ?? 'ok'
      },
      capacity: () => 8,
    })
    const answered = ask('t' as never, { type: 'x.get' }, { timeoutMs: 100 })
    const token = (sent[0]!.msg as { replyTo?: { to: string; cid: number } }).replyTo!
    expect(token.to).toBe('me')
    table.resolve(token.cid, 42)
    expect(await answered).toBe(42)
    const codes = await Promise.all(['full', 'gone', 'nobody'].map((to) => ask(to as never, { type: 'x.get' }, { timeoutMs: 100 }).catch((e: ClusterError) => e.code)))
    expect(codes).toEqual(['ERR_ACTOR_MAILBOX_FULL', 'ERR_ACTOR_STOPPED', 'ERR_ACTOR_UNKNOWN'])
    const silent = watch(ask('t' as never, { type: 'x.get' }, { timeoutMs: 100 }))
    await clock.advance(100)
    await turns()
    expect(silent()).toBe('ERR_ACTOR_ASK_TIMEOUT')
    expect(table.late).toBe(0)
    expect(clock.pending).toBe(0)
  })
})

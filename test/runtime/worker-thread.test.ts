/**
 * What only the worker placement has: threads that die, direct worker-to-worker ports, a busy
 * thread at shutdown, entry files, the compute pool hop.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ActorSystem, defineActor, memorySnapshotStore, type SystemEvent } from '../../src/runtime/index.ts'
import type { ClusterError } from '../../src/errors/cluster-error.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'
import { createCounterMachine } from '../fixtures/actors/counter/machine.ts'
import { asker } from './support/asker/definition.ts'
import type { AskOutcome } from './support/asker/machine.ts'
import { waitFor, waitUntil } from './support/placement-suite.ts'

// Threads die and restart here: over 10 s for a test on a loaded machine, against the default 20 s.
// The timeout only guards against a hang.
vi.setConfig({ testTimeout: 60_000 })

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'resolved'
  } catch (err) {
    return (err as ClusterError).code ?? String(err)
  }
}

let system: ActorSystem | undefined
let events: SystemEvent[] = []
const store = memorySnapshotStore()

async function start(opts: Parameters<typeof ActorSystem.start>[0] = {}): Promise<ActorSystem> {
  system = await ActorSystem.start({ logLevel: 'silent', snapshotStore: store, ...opts })
  events = []
  system.on((e) => events.push(e))
  return system
}

afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
  store.records.clear()
})

describe('worker placement - threads', () => {
  it('restarts a thread that died, from the last persisted snapshot, failing asks in flight', async () => {
    const sys = await start({ supervision: { backoffMs: 10 } })
    const a = await sys.spawn(counter, { id: 'a' })
    a.send({ type: 'counter.inc', by: 41 })
    expect((await a.ask({ type: 'counter.get' })).n).toBe(41)
    const inFlight = a.ask({ type: 'counter.ignore' }, { timeoutMs: 10_000 })
    await waitFor(() => store.load('a') !== undefined)
    a.send({ type: 'counter.kill-thread' })
    expect(await codeOf(inFlight)).toBe('ERR_ACTOR_CRASHED')
    a.send({ type: 'counter.inc', by: 1 }) // held on the system thread until the new thread is up
    await waitFor(() => events.some((e) => e.type === 'actor.started' && e.restarts === 1))
    expect((await a.ask({ type: 'counter.get' })).n).toBe(42)
    const crashed = events.find((e) => e.type === 'actor.crashed')
    expect(crashed).toMatchObject({ type: 'actor.crashed', actor: 'a', asksFailed: 1 })
    expect(events.find((e) => e.type === 'actor.started' && e.restarts === 1)).toMatchObject({ restored: true })
  })

  it('makes an actor whose thread died past its restart budget gone for every peer: asks fail at once, tells report stopped', async () => {
    const sys = await start({ supervision: { maxRestarts: 0 } })
    const qWorker = await sys.spawn(asker, { id: 'q-worker' })
    const qInline = await sys.spawn(asker, { id: 'q-inline', placement: 'inline' })
    const peer = await sys.spawn(counter, { id: 'peer' })
    const c = await sys.spawn(counter, { id: 'c' })
    // An ask in flight when the thread dies fails with the crash; the peer has a link to c.
    const inFlight = codeOf(qWorker.ask({ type: 'asker.ask', to: c.id, request: { type: 'counter.ignore' }, timeoutMs: 20_000 }))
    await qWorker.ask({ type: 'asker.ping' })
    c.send({ type: 'counter.kill-thread' })
    await waitFor(() => events.some((e) => e.type === 'actor.escalated' && e.actor === 'c'))
    expect(await inFlight).toBe('ERR_ACTOR_CRASHED')
    // Long timeouts: a request held for a thread that never comes back would show as a timeout.
    const after = { type: 'asker.ask', to: c.id, request: { type: 'counter.get' }, timeoutMs: 20_000 } as const
    expect(await codeOf(qInline.ask(after))).toBe('ERR_ACTOR_STOPPED')
    expect(await codeOf(qWorker.ask(after))).toBe('ERR_ACTOR_STOPPED')
    peer.send({ type: 'counter.forward', to: c.id, by: 1 })
    await waitFor(() => events.some((e) => e.type === 'message.undeliverable' && e.to === 'c' && e.reason === 'stopped'))
    const report = await sys.shutdown({ drainTimeoutMs: 3000 })
    expect(report).toMatchObject({ clean: true, undeliveredTotal: 0 })
  })

  it('keeps a late reply from the asker thread that replaced the one that asked (correlation ids differ per thread)', async () => {
    const sys = await start({ supervision: { backoffMs: 5 } })
    const q = await sys.spawn(asker, { id: 'q' })
    const holder = await sys.spawn(asker, { id: 'holder' })
    const rec = await sys.spawn(asker, { id: 'rec', placement: 'inline' })
    const outcome = async (label: string) => ((await rec.ask({ type: 'asker.outcomes' })) as AskOutcome[]).find((o) => o.label === label)
    const hold = (label: string) => q.send({ type: 'asker.ask', to: holder.id, request: { type: 'asker.hold' }, timeoutMs: 20_000, reportTo: rec.id, label })
    hold('old')
    await waitUntil(async () => (await holder.ask({ type: 'asker.held' })) === 1)
    q.send({ type: 'asker.kill-thread' })
    await waitFor(() => events.some((e) => e.type === 'actor.started' && e.actor === 'q' && e.restarts === 1))
    // The new thread's first ask: the same position in its table as the old thread's first.
    hold('new')
    await waitUntil(async () => (await holder.ask({ type: 'asker.held' })) === 2)
    holder.send({ type: 'asker.release' })
    await waitUntil(async () => (await outcome('new')) !== undefined)
    expect(await outcome('new')).toMatchObject({ outcome: 'resolved', value: { index: 1 } })
    await waitUntil(async () => (await q.stats()).lateReplies === 1)
    // The old thread died with its ask: nothing of it reported anything.
    expect(await outcome('old')).toBeUndefined()
  })

  it('stops an actor whose dead thread waits out a long restart backoff at once: a new thread drains and does the exit work', async () => {
    const sys = await start({ supervision: { backoffMs: 60_000, maxBackoffMs: 60_000 } })
    const b = await sys.spawn(counter, { id: 'b' })
    const a = await sys.spawn(counter, { id: 'a' })
    a.send({ type: 'counter.notify-on-exit', to: b.id })
    a.send({ type: 'counter.inc', by: 1 })
    await waitFor(() => (store.load('a')?.snapshot as { context?: { n: number } } | undefined)?.context?.n === 1)
    a.send({ type: 'counter.kill-thread' })
    await waitFor(() => events.some((e) => e.type === 'actor.crashed' && e.actor === 'a'))
    for (let i = 0; i < 3; i++) a.send({ type: 'counter.inc', by: 1 }) // held for the new thread
    b.send({ type: 'counter.forward', to: a.id, by: 10 }) // held by a peer's link
    await b.ask({ type: 'counter.get' })
    await a.stop()
    expect((store.load('a')?.snapshot as { context: { n: number } }).context.n).toBe(14)
    expect(await a.stats()).toMatchObject({ status: 'stopped', restarts: 1, rejected: 0 })
    await waitUntil(async () => (await b.ask({ type: 'counter.get' })).n === 1000)
  })

  it('carries actor-to-actor traffic on the workers own port pair, not through the system thread', async () => {
    const sys = await start()
    const board = new SharedArrayBuffer(4)
    const view = new Int32Array(board)
    const a = await sys.spawn(counter, { id: 'a' })
    await sys.spawn(counter, { id: 'b', input: { board } })
    await a.ask({ type: 'counter.get' })
    a.send({ type: 'counter.forward-many', to: 'b' as typeof a.id, count: 500, by: 1 })
    await new Promise((r) => setImmediate(r)) // the send leaves the system thread
    // Block the system thread; b must still receive all 500 from a.
    // Ends as soon as all 500 arrived; the deadline only bounds a failure (seconds on a loaded machine).
    const deadline = Date.now() + 15_000
    while (Atomics.load(view, 0) < 500 && Date.now() < deadline) Atomics.wait(view, 0, Atomics.load(view, 0), 50)
    expect(Atomics.load(view, 0)).toBe(500)
  })

  it('connects actors spawned concurrently to each other', async () => {
    const sys = await start()
    const [a, b] = await Promise.all([sys.spawn(counter, { id: 'a' }), sys.spawn(counter, { id: 'b' })])
    a.send({ type: 'counter.forward', to: b.id, by: 2 })
    b.send({ type: 'counter.forward', to: a.id, by: 3 })
    // worker-to-worker paths are not ordered with the system thread's: wait for the values
    await waitUntil(async () => (await a.ask({ type: 'counter.get' })).n === 3)
    await waitUntil(async () => (await b.ask({ type: 'counter.get' })).n === 2)
    expect(events.some((e) => e.type === 'message.undeliverable')).toBe(false)
  })

  it('counts restarts of the thread and of the machine in its stats', async () => {
    const sys = await start({ supervision: { backoffMs: 5 } })
    const a = await sys.spawn(counter, { id: 'a' })
    a.send({ type: 'counter.crash' })
    await waitFor(() => events.filter((e) => e.type === 'actor.started').length === 2)
    a.send({ type: 'counter.kill-thread' })
    await waitFor(() => events.filter((e) => e.type === 'actor.started').length === 3)
    expect((await a.stats()).restarts).toBe(2)
  })

  it('reports a payload that cannot be cloned to a thread, and keeps both threads running', async () => {
    const sys = await start()
    const a = await sys.spawn(counter, { id: 'a' })
    const withFunction = { type: 'counter.inc', by: 1, callback: () => 1 } as never
    a.send({ type: 'counter.inc', by: 1 })
    a.send(withFunction)
    a.send({ type: 'counter.inc', by: 2 })
    expect(await codeOf(a.ask({ type: 'counter.get', extra: Symbol('x') } as never))).toBe('ERR_ACTOR_INVALID_MESSAGE')
    expect((await a.ask({ type: 'counter.get' })).n).toBe(3)
    await waitFor(() => events.filter((e) => e.type === 'message.invalid').length === 2)
  })

  it('names a busy actor at the drain timeout and accounts for all 10,000 messages', async () => {
    const sys = await start()
    const slow = await sys.spawn(counter, { id: 'slow', mailbox: { capacity: 16_384 } })
    for (let i = 0; i < 10_000; i++) slow.send(i === 0 ? { type: 'counter.spin', ms: 400 } : { type: 'counter.inc', by: 1 })
    const report = await sys.shutdown({ drainTimeoutMs: 200 })
    expect(report.clean).toBe(false)
    expect(report.hung).toBe('slow')
    const stats = await slow.stats()
    // confirmed handled + reported undelivered = all that was sent
    expect(stats.handled + (report.undelivered['slow'] ?? 0)).toBe(10_000)
    expect(report.undeliveredTotal).toBeGreaterThan(0)
  })

  it('fails spawn with ERR_ACTOR_START_FAILED for a missing entry or a definition without one', async () => {
    const sys = await start()
    const broken = defineActor({ name: 'broken', machine: createCounterMachine, worker: new URL('./no-such-worker.ts', import.meta.url) })
    expect(await codeOf(sys.spawn(broken, { id: 'x' }))).toBe('ERR_ACTOR_START_FAILED')
    const noEntry = defineActor({ name: 'no-entry', machine: createCounterMachine })
    expect(await codeOf(sys.spawn(noEntry, { id: 'y' }))).toBe('ERR_ACTOR_START_FAILED')
    expect(sys.ref('x')).toBeUndefined()
    const throwing = defineActor({
      name: 'throwing',
      machine: () => {
        throw new Error('factory failed')
      },
    })
    expect(await codeOf(sys.spawn(throwing, { id: 'w', placement: 'inline' }))).toBe('ERR_ACTOR_START_FAILED')
    // the system still works
    const ok = await sys.spawn(noEntry, { id: 'z', placement: 'inline' })
    ok.send({ type: 'counter.inc', by: 1 })
    expect((await ok.ask({ type: 'counter.get' })).n).toBe(1)
  })

  it('hands CPU work to the compute pool from a worker actor and from an inline one', async () => {
    const sys = await start()
    const w = await sys.spawn(counter, { id: 'w' })
    const i = await sys.spawn(counter, { id: 'i', placement: 'inline' })
    expect(await w.ask({ type: 'counter.compute', values: [1, 2, 3] })).toBe(14)
    expect(await i.ask({ type: 'counter.compute', values: [4] })).toBe(16)
    expect(await codeOf(w.ask({ type: 'counter.compute', values: [], fail: true }))).toBe('ERR_COMPUTE_FAILED')
  })

  it('reports ERR_COMPUTE_DISABLED when the system runs without a pool', async () => {
    const sys = await start({ compute: false })
    const w = await sys.spawn(counter, { id: 'w' })
    expect(await codeOf(w.ask({ type: 'counter.compute', values: [1] }))).toBe('ERR_COMPUTE_DISABLED')
  })
})

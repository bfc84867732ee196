/**
 * Heap caps of actor worker threads (`workerLimits`): every actor thread runs under them (the
 * defaults, the system's, a spawn's own), bad values are refused naming the field, and a thread
 * that passes its old-generation cap dies with a coded error and is restarted from its last
 * checkpoint while the other actors run on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ActorSystem, DEFAULT_WORKER_LIMITS, memorySnapshotStore, type SystemEvent, type SystemOptions } from '../../src/runtime/index.ts'
import { InvalidConfigError } from '../../src/errors/index.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'
import { hog } from './support/hog/definition.ts'
import { waitFor } from './support/placement-suite.ts'

// A thread dies and restarts here: generous for a loaded machine; the timeout only guards a hang.
vi.setConfig({ testTimeout: 60_000 })

let system: ActorSystem | undefined
let events: SystemEvent[] = []
const store = memorySnapshotStore()

async function start(opts: SystemOptions = {}): Promise<ActorSystem> {
  system = await ActorSystem.start({ logLevel: 'silent', snapshotStore: store, supervision: { backoffMs: 10 }, ...opts })
  events = []
  system.on((e) => events.push(e))
  return system
}

afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
  store.records.clear()
})

async function refusal(run: () => Promise<unknown>): Promise<{ field: unknown; message: string }> {
  try {
    await run()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError)
    return { field: (err as InvalidConfigError).details?.['field'], message: (err as Error).message }
  }
  throw new Error('accepted')
}

describe('worker heap caps', () => {
  it('runs every actor thread under the default caps, the system ones, or a spawn own', async () => {
    expect(DEFAULT_WORKER_LIMITS).toEqual({ maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: 256 })
    let sys = await start()
    const a = await sys.spawn(hog, { id: 'a' })
    expect(await a.ask({ type: 'hog.limits' })).toMatchObject({ maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: 256 })
    await sys.shutdown()

    sys = await start({ workerLimits: { maxOldGenerationSizeMb: 96 } })
    const b = await sys.spawn(hog, { id: 'b' })
    const c = await sys.spawn(hog, { id: 'c', workerLimits: { maxYoungGenerationSizeMb: 12 } })
    expect(await b.ask({ type: 'hog.limits' })).toMatchObject({ maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: 96 })
    expect(await c.ask({ type: 'hog.limits' })).toMatchObject({ maxYoungGenerationSizeMb: 12, maxOldGenerationSizeMb: 96 })
  })

  it('refuses bad caps, naming the field', async () => {
    expect(await refusal(() => ActorSystem.start({ logLevel: 'silent', workerLimits: { maxOldGenerationSizeMb: 8 } }))).toEqual({
      field: 'system.workerLimits.maxOldGenerationSizeMb',
      message: 'system.workerLimits.maxOldGenerationSizeMb must be an integer in [16, 65536] (MiB) (got 8)',
    })
    expect(await refusal(() => ActorSystem.start({ logLevel: 'silent', workerLimits: { maxYoungGenerationSizeMb: '6' } as never }))).toMatchObject({
      field: 'system.workerLimits.maxYoungGenerationSizeMb',
    })
    const unknown = await refusal(() => ActorSystem.start({ logLevel: 'silent', workerLimits: { maxOldGenerationMb: 64 } as never }))
    expect(unknown.message).toContain('maxOldGenerationMb')
    expect(unknown.message).toContain('known: maxYoungGenerationSizeMb, maxOldGenerationSizeMb')
    const sys = await start()
    expect(await refusal(() => sys.spawn(hog, { id: 'h', workerLimits: { maxYoungGenerationSizeMb: 0 } }))).toMatchObject({
      field: 'workerLimits.maxYoungGenerationSizeMb',
    })
    expect(await sys.stats()).toEqual([])
  })

  it('restarts a thread that ran out of heap, with a coded error, from its last checkpoint', async () => {
    const sys = await start()
    const other = await sys.spawn(counter, { id: 'other' })
    const h = await sys.spawn(hog, { id: 'h', workerLimits: { maxOldGenerationSizeMb: 48 } })
    h.send({ type: 'hog.set', n: 7 })
    expect(await h.ask({ type: 'hog.get' })).toBe(7)
    await waitFor(() => store.load('h') !== undefined)
    // Under the cap: the turn ends and the thread lives on.
    h.send({ type: 'hog.exhaust', mb: 8 })
    expect(await h.ask({ type: 'hog.get' })).toBe(7)
    expect(events.filter((e) => e.type === 'actor.crashed')).toEqual([])
    // 6x the cap (bounded, so an uncapped thread would survive it rather than eat the machine).
    h.send({ type: 'hog.exhaust', mb: 300 })
    await waitFor(() => events.some((e) => e.type === 'actor.started' && e.actor === 'h' && e.restarts === 1))
    const crashed = events.find((e) => e.type === 'actor.crashed')
    expect(crashed).toMatchObject({ type: 'actor.crashed', actor: 'h', error: { code: 'ERR_WORKER_OUT_OF_MEMORY' } })
    expect(events.some((e) => e.type === 'actor.escalated')).toBe(false)
    expect(await h.ask({ type: 'hog.get' })).toBe(7)
    // The restarted thread is under the same caps; the other actor never noticed.
    expect(await h.ask({ type: 'hog.limits' })).toMatchObject({ maxOldGenerationSizeMb: 48 })
    other.send({ type: 'counter.inc', by: 2 })
    expect((await other.ask({ type: 'counter.get' })).n).toBe(2)
    expect(events.filter((e) => e.type === 'actor.crashed').map((e) => (e as { actor: string }).actor)).toEqual(['h'])
  })
})

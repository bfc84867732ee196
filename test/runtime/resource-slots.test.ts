/**
 * Per-actor resource slots: the implementation (closeAll releases everything once, keeps the
 * failures, releases a late hold at once) and the hosts' use of it in both placements: released
 * when the actor stops for good (stop, shutdown, escalation), kept over a restart in place, and a
 * failed release is in the shutdown report.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ActorSystem, type Placement, type SystemEvent } from '../../src/runtime/index.ts'
import { createResourceSlots } from '../../src/runtime/resource-slots.ts'
import { emitter } from '../fixtures/actors/emitter/definition.ts'
import { emitterIo } from '../fixtures/actors/emitter/io.ts'
import type { EmitterInput } from '../fixtures/actors/emitter/protocol.ts'
import { waitFor } from './support/placement-suite.ts'

vi.setConfig({ testTimeout: 60_000 })

describe('createResourceSlots', () => {
  it('releases everything once at closeAll, keeps the failures, and releases a later hold at once', async () => {
    const released: string[] = []
    const logged: string[] = []
    const slots = createResourceSlots((key) => logged.push(key))
    slots.hold('a', 1, () => void released.push('a'))
    slots.hold('b', 2, () => {
      throw Object.assign(new Error('b stuck'), { code: 'ERR_B' })
    })
    // Replacing a resource releases the old one; that failure is logged, not a stop failure.
    slots.hold('c', 3, () => Promise.reject(new Error('old c')))
    slots.hold('c', 4, async () => void released.push('c'))
    await new Promise((r) => setImmediate(r))
    expect(logged).toEqual(['c'])
    expect(slots.closeFailures).toEqual([])
    const first = slots.closeAll()
    const second = slots.closeAll()
    await Promise.all([first, second])
    expect(released.sort()).toEqual(['a', 'c'])
    expect(slots.closed).toBe(true)
    expect(slots.closeFailures).toEqual([{ key: 'b', error: { code: 'ERR_B', message: 'b stuck' } }])
    expect(slots.get('a')).toBeUndefined()
    slots.hold('late', 5, () => void released.push('late'))
    await new Promise((r) => setImmediate(r))
    expect(released).toContain('late')
    expect(slots.get('late')).toBeUndefined()
  })
})

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

/** [0]: resources held (one per host), [1]: released. */
function board(): { input: EmitterInput; held: () => number; released: () => number } {
  const sab = new SharedArrayBuffer(8)
  const view = new Int32Array(sab)
  return { input: { board: sab }, held: () => Atomics.load(view, 0), released: () => Atomics.load(view, 1) }
}

async function start(placement: Placement, input: EmitterInput, supervision = {}) {
  system = await ActorSystem.start({ logLevel: 'silent' })
  const events: SystemEvent[] = []
  system.on((e) => events.push(e))
  const ref = await system.spawn(emitter, { id: 'e', placement, input, provide: emitterIo(input), supervision })
  return { sys: system, ref, events }
}

describe.each(['inline', 'worker'] as const)('placement %s - resource slots', (placement) => {
  it('keeps the resources over a restart in place and releases them when the actor stops', async () => {
    const b = board()
    const { ref, events } = await start(placement, b.input)
    expect(b.held()).toBe(1)
    ref.send({ type: 'emitter.crash' })
    await waitFor(() => events.some((e) => e.type === 'actor.started' && e.restarts === 1))
    expect(await ref.ask({ type: 'emitter.get' })).toBe(0)
    expect(b.released()).toBe(0)
    expect(b.held()).toBe(1)
    await ref.stop()
    expect(b.released()).toBe(1)
  })

  it('releases the resources at system shutdown', async () => {
    const b = board()
    const { sys } = await start(placement, b.input)
    const report = await sys.shutdown({ drainTimeoutMs: 2000 })
    expect(report.clean).toBe(true)
    expect(b.released()).toBe(1)
  })

  it('releases the resources when the actor escalates', async () => {
    const b = board()
    const { ref, events } = await start(placement, b.input, { maxRestarts: 0 })
    ref.send({ type: 'emitter.crash' })
    await waitFor(() => events.some((e) => e.type === 'actor.escalated'))
    await waitFor(() => b.released() === 1)
    expect(b.held()).toBe(1)
  })

  it('releases what provide(env) held when the spawn fails', async () => {
    const b = board()
    system = await ActorSystem.start({ logLevel: 'silent' })
    const input = { ...b.input, refuse: true }
    const failed = await system.spawn(emitter, { id: 'e', placement, input, provide: emitterIo(input) }).then(
      () => 'spawned',
      (err: { code?: string }) => err.code,
    )
    expect(failed).toBe('ERR_ACTOR_START_FAILED')
    expect(b.held()).toBe(1)
    await waitFor(() => b.released() === 1)
  })

  it('reports a release that fails in the shutdown report, which is then unclean', async () => {
    const b = board()
    const { sys } = await start(placement, { ...b.input, failRelease: true })
    const report = await sys.shutdown({ drainTimeoutMs: 2000 })
    expect(b.released()).toBe(1)
    expect(report.clean).toBe(false)
    expect(report.stopped).toEqual(['e'])
    expect(report.exits['e']).toMatchObject({
      clean: false,
      reason: 'resource release failed',
      releaseFailures: [{ key: 'probe', error: { code: 'ERR_PROBE_RELEASE', message: 'probe release failed' } }],
    })
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, defineActor, type SystemEvent } from '../../src/runtime/index.ts'
import { createCounterMachine } from '../fixtures/actors/counter/machine.ts'
import { counterIo } from '../fixtures/actors/counter/io.ts'
import { waitFor } from './support/placement-suite.ts'

/** The counter machine without `persist`: a crash restarts it from its initial state. */
const volatileCounter = defineActor({ name: 'volatile-counter', machine: createCounterMachine })

describe('supervision without persistence', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown()
    system = undefined
  })

  it('restarts an actor that did not opt in from its initial state, not restored', async () => {
    system = await ActorSystem.start({ logLevel: 'silent', supervision: { backoffMs: 1 } })
    const events: SystemEvent[] = []
    system.on((e) => events.push(e))
    const ref = await system.spawn(volatileCounter, { id: 'v', placement: 'inline', provide: counterIo })
    ref.send({ type: 'counter.inc', by: 5 })
    expect((await ref.ask({ type: 'counter.get' })).n).toBe(5)
    ref.send({ type: 'counter.crash' })
    ref.send({ type: 'counter.inc', by: 2 }) // held during the restart, handled by the fresh machine
    // (an ask made now would be in flight at the crash, and fail with ERR_ACTOR_CRASHED)
    await waitFor(() => events.some((e) => e.type === 'actor.started' && e.restarts === 1))
    expect((await ref.ask({ type: 'counter.get' })).n).toBe(2)
    expect(events.find((e) => e.type === 'actor.started' && e.restarts === 1)).toMatchObject({ restored: false })
    expect((await ref.stats()).restarts).toBe(1)
  })
})

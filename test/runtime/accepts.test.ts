import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, defineActor, type SystemEvent } from '../../src/runtime/index.ts'
import type { ClusterError } from '../../src/errors/cluster-error.ts'
import { createCounterMachine } from '../fixtures/actors/counter/machine.ts'

/** The counter machine behind a definition that accepts only two of its message types. */
const narrow = defineActor({ name: 'narrow-counter', machine: createCounterMachine, accepts: ['counter.inc', 'counter.get'] })

describe('accepts', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown()
    system = undefined
  })

  it('rejects at run time what the list leaves out (ERR_ACTOR_UNKNOWN_MESSAGE), as the types do at compile time', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const events: SystemEvent[] = []
    system.on((e) => events.push(e))
    const ref = await system.spawn(narrow, { id: 'n', placement: 'inline' })
    ref.send({ type: 'counter.inc', by: 2 })
    // Bypass the types, as a peer with a stale protocol would.
    ref.send({ type: 'counter.crash' } as never)
    const asked = await (ref.ask({ type: 'counter.ignore' } as never) as Promise<unknown>).catch((err: ClusterError) => err.code)
    expect(asked).toBe('ERR_ACTOR_UNKNOWN_MESSAGE')
    expect((await ref.ask({ type: 'counter.get' })).n).toBe(2)
    const stats = await ref.stats()
    expect(stats.invalid).toBe(2)
    expect(stats.restarts).toBe(0)
    expect(events.filter((e) => e.type === 'message.invalid').map((e) => (e.type === 'message.invalid' ? e.messageType : ''))).toEqual(['counter.crash', 'counter.ignore'])
  })
})

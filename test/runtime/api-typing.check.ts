import type { ActorRef } from '../../src/runtime/index.ts'
import type { CounterMachine } from '../fixtures/actors/counter/machine.ts'
declare const ref: ActorRef<CounterMachine>
ref.send({ type: 'counter.inc', by: 1 })
// @ts-expect-error unknown type
ref.send({ type: 'counter.nope' })
// @ts-expect-error missing field
ref.send({ type: 'counter.inc' })
// @ts-expect-error runtime events are not sendable
ref.send({ type: 'runtime.shutdown' })
const p = ref.ask({ type: 'counter.get' })
export const x: Promise<{ n: number; ticks: number; rolled: number }> = p
// @ts-expect-error not askable
ref.ask({ type: 'counter.inc', by: 1 })
export const ctx = ref.getSnapshot().then((s) => s.context.n + 1)

// `accepts` narrows the ref: a definition that accepts only some of the machine's events.
import { ActorSystem } from '../../src/runtime/index.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createCounterMachine } from '../fixtures/actors/counter/machine.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'
const narrow = defineActor({
  name: 'narrow-counter',
  machine: createCounterMachine,
  accepts: ['counter.inc', 'counter.get'],
  validate: (msg) => {
    // @ts-expect-error validate sees only accepted messages
    if (msg.type === 'counter.crash') return 'never'
    return msg.type === 'counter.inc' && !Number.isFinite(msg.by) ? 'by' : undefined
  },
})
const ACCEPTED: readonly ('counter.inc' | 'counter.roll')[] = ['counter.inc', 'counter.roll']
const narrowFromArray = defineActor({ name: 'narrow-array', machine: createCounterMachine, accepts: ACCEPTED })
defineActor({
  name: 'bad',
  machine: createCounterMachine,
  // @ts-expect-error accepts names only the machine's events
  accepts: ['counter.inc', 'counter.nope'],
})
declare const system: ActorSystem
export async function narrowing(): Promise<void> {
  const n = await system.spawn(narrow, { id: 'n' })
  n.send({ type: 'counter.inc', by: 1 })
  // @ts-expect-error not in accepts
  n.send({ type: 'counter.crash' })
  // @ts-expect-error not in accepts (askable in the machine, but not accepted)
  n.ask({ type: 'counter.ignore' })
  const view: { n: number; ticks: number; rolled: number } = await n.ask({ type: 'counter.get' })
  void view
  const a = await system.spawn(narrowFromArray, { id: 'a' })
  a.send({ type: 'counter.roll' })
  // @ts-expect-error not in accepts
  a.send({ type: 'counter.get' })
  // Without accepts, every machine event (minus runtime.*) stays sendable.
  const c = await system.spawn(counter, { id: 'c' })
  c.send({ type: 'counter.crash' })
  // @ts-expect-error runtime events are not sendable
  c.send({ type: 'runtime.restored', at: 0, restarts: 0 })
  // The narrowed ref's address types env.send / other refs' protocols too.
  const r = system.ref('n', narrow)
  // @ts-expect-error not in accepts
  r?.send({ type: 'counter.roll' })
}

// Emitted events: `on` and `events` are typed by the machine's `emitted` types.
import type { EmitterMachine } from '../fixtures/actors/emitter/machine.ts'
declare const em: ActorRef<EmitterMachine>
em.on('emitter.tick', (e) => {
  const n: number = e.n
  void n
})
em.on('*', (e) => {
  const t: 'emitter.tick' | 'emitter.tock' | 'emitter.bad' = e.type
  void t
})
// @ts-expect-error not an event the machine emits
em.on('emitter.nope', () => {})
export async function streams(): Promise<void> {
  for await (const e of em.events(['emitter.tick', 'emitter.tock'], { bufferSize: 8 })) {
    const n: number = e.n
    void n
  }
  // @ts-expect-error not an event the machine emits
  em.events('emitter.nope')
}

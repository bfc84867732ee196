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

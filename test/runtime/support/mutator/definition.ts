import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createMutatorMachine } from './machine.ts'

/** Persisted after every turn (throttleMs 0), so each turn's end is a checkpoint. */
export const mutator = defineActor({
  name: 'mutator',
  machine: createMutatorMachine,
  worker: new URL('./worker.ts', import.meta.url),
  persist: { version: 1 },
})

/** Persisted once, then not again for a minute: a restored machine runs on without a checkpoint. */
export const throttledMutator = defineActor({
  name: 'throttled-mutator',
  machine: createMutatorMachine,
  worker: new URL('./throttled-worker.ts', import.meta.url),
  persist: { version: 1, throttleMs: 60_000 },
})

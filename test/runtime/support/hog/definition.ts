import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createHogMachine } from './machine.ts'

/** Persisted after every turn, so a thread that dies restarts from the last n set. */
export const hog = defineActor({
  name: 'hog',
  machine: createHogMachine,
  worker: new URL('./worker.ts', import.meta.url),
  persist: { version: 1 },
})

import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createSinkMachine } from './machine.ts'

export const sink = defineActor({
  name: 'sink',
  machine: createSinkMachine,
  worker: new URL('./worker.ts', import.meta.url),
})

import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createAskerMachine } from './machine.ts'

export const asker = defineActor({
  name: 'asker',
  machine: createAskerMachine,
  worker: new URL('./worker.ts', import.meta.url),
})

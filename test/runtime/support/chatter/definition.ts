import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createChatterMachine } from './machine.ts'

export const chatter = defineActor({
  name: 'chatter',
  machine: createChatterMachine,
  worker: new URL('./worker.ts', import.meta.url),
})

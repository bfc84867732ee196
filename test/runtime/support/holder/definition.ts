import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createHolderMachine } from './machine.ts'

export const holder = defineActor({
  name: 'holder',
  machine: createHolderMachine,
  worker: new URL('./worker.ts', import.meta.url),
  exitReport: ({ undeliveredAtExit: n }) =>
    n === undefined || n === 0 ? undefined : { clean: false, reason: 'held items not delivered', undelivered: n },
})

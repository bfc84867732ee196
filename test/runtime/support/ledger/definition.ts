import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createLedgerMachine } from './machine.ts'

/** Persisted after every turn, by reference (the machine never writes its context in place). */
export const ledger = defineActor({
  name: 'ledger',
  machine: createLedgerMachine,
  worker: new URL('./worker.ts', import.meta.url),
  persist: { version: 1, immutable: true },
})

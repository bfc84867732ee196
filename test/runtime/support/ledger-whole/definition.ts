import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createLedgerMachine } from '../ledger/machine.ts'

/** The ledger, persisted by reference, but posted whole from its worker (`post: 'whole'`). */
export const ledgerWhole = defineActor({
  name: 'ledger-whole',
  machine: createLedgerMachine,
  worker: new URL('./worker.ts', import.meta.url),
  persist: { version: 1, immutable: true, post: 'whole' },
})

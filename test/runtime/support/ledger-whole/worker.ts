/** Thread entry of the ledger-whole fixture. */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { ledgerWhole } from './definition.ts'

hostActor(ledgerWhole)

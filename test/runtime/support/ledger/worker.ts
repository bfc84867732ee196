/** Thread entry of the ledger fixture. */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { ledger } from './definition.ts'

hostActor(ledger)

/** Thread entry of the tally fixture without coalescing. */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { plainTally } from './definition.ts'

hostActor(plainTally)

/** Thread entry of the tally fixture (coalescing). */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { tally } from './definition.ts'

hostActor(tally)

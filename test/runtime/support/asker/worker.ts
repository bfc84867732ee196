/** Thread entry of the asker fixture. */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { asker } from './definition.ts'

hostActor(asker)

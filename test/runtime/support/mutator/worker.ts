/** Thread entry of the mutator fixture. */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { mutator } from './definition.ts'

hostActor(mutator)

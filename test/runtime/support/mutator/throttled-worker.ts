/** Thread entry of the throttled mutator fixture. */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { throttledMutator } from './definition.ts'

hostActor(throttledMutator)

/** Thread entry of the chatter fixture. */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { chatter } from './definition.ts'

hostActor(chatter)

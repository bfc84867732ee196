/** Thread entry of the member-manager actor. It does no I/O of its own: the runtime hosts the machine. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { memberManager } from './definition.ts'

hostActor(memberManager)

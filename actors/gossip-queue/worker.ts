/** Thread entry of the gossip-queue actor. It needs no I/O of its own: the runtime hosts the machine. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { gossipQueue } from './definition.ts'

hostActor(gossipQueue)

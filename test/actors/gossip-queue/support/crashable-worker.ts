/** Thread entry of the crash-hooked gossip-queue (support/crashable.ts). */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { crashableGossipQueue } from './crashable.ts'

hostActor(crashableGossipQueue)

/** Thread entry of the swim actor: a real UDP socket and TCP listener, then host the actor. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { swim } from './definition.ts'
import { nodeSwimIo } from './io/node-net.ts'

hostActor(swim, nodeSwimIo())

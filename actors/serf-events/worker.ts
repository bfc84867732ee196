/** Thread entry of the serf-events actor. It needs no I/O of its own: swim sends its datagrams. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { serfEvents } from './definition.ts'

hostActor(serfEvents)

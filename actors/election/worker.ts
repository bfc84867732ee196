/** Thread entry of the election actor: the nats backend in this thread, then host the actor. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { election } from './definition.ts'
import { provideElectionBackend } from './io/election-backend.ts'

hostActor(election, { provide: provideElectionBackend() })

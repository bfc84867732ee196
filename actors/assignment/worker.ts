/** Thread entry of the assignment actor: the nats store in this thread (used by the nats backend only), then host the actor. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { assignment } from './definition.ts'
import { provideAssignmentStore } from './io/provide-store.ts'

hostActor(assignment, { provide: provideAssignmentStore() })

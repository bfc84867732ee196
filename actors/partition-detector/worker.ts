/** Thread entry of the partition-detector: the mark file on the real file system, then host the actor. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { partitionDetector } from './definition.ts'
import { markFileStore } from './io/mark-file.ts'
import { provideMarkStore } from './machine.ts'

hostActor(partitionDetector, { provide: provideMarkStore(markFileStore()) })

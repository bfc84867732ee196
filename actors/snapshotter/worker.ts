/** Thread entry of the snapshotter: the real file system, then host the actor. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { snapshotter } from './definition.ts'
import { nodeSnapshotterIo } from './io/node-platform.ts'

hostActor(snapshotter, nodeSnapshotterIo())

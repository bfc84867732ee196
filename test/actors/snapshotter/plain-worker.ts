/** Thread entry of the uncoalesced snapshotter (see plain-actor.ts). */
import { hostActor } from '../../../src/runtime/worker-host.ts'
import { nodeSnapshotterIo } from '../../../actors/snapshotter/io/node-platform.ts'
import { plainSnapshotter } from './plain-actor.ts'

hostActor(plainSnapshotter, nodeSnapshotterIo())

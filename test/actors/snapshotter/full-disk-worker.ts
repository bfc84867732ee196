/** Thread entry of the full-disk snapshotter (see full-disk-actor.ts). */
import { hostActor } from '../../../src/runtime/worker-host.ts'
import { fullDiskIo, fullDiskSnapshotter } from './full-disk-actor.ts'

hostActor(fullDiskSnapshotter, fullDiskIo())

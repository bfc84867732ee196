/** Thread entry of the snapshotter: the real file system, then host the actor. */
import { hostActor } from '../../src/runtime/worker-host.ts'
import { snapshotter } from './definition.ts'
import { createSnapshotterImplementations, type SnapshotterHandle } from './implementations.ts'
import { nodeDisk } from './io/node-disk.ts'

const handle: SnapshotterHandle = { writer: undefined }

hostActor(snapshotter, {
  provide: (env) => createSnapshotterImplementations(env, { disk: nodeDisk(), defer: (fn) => void setImmediate(fn), now: () => performance.now() }, handle),
  // Exit work outside the machine, for a stop that does not go through `runtime.shutdown`.
  onStop: async () => {
    await handle.writer?.shutdown()
  },
})

/**
 * The snapshotter's implementations on the real file system, for either placement: worker.ts hosts
 * them in the actor's thread; an inline spawn passes them as `provide`/`onStop`.
 */
import type { ActorImplementations } from '../../../src/runtime/define-actor.ts'
import { createSnapshotterImplementations, type SnapshotterHandle, type SnapshotterPlatform } from '../implementations.ts'
import type { SnapshotterMachine } from '../machine.ts'
import { nodeDisk } from './node-disk.ts'

export function nodeSnapshotterIo(observe?: SnapshotterPlatform['observe']): ActorImplementations<SnapshotterMachine> {
  const handle: SnapshotterHandle = { writer: undefined }
  return {
    provide: (env) =>
      createSnapshotterImplementations(
        env,
        { disk: nodeDisk(), defer: (fn) => void setImmediate(fn), now: () => performance.now(), ...(observe ? { observe } : {}) },
        handle,
      ),
    // Exit work outside the machine, for a stop that does not go through `runtime.shutdown`;
    // idempotent with the machine's own shutdown.
    onStop: async () => {
      await handle.writer?.shutdown()
    },
  }
}

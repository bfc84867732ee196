/**
 * The snapshotter's implementations on the real file system, for either placement: worker.ts hosts
 * them in the actor's thread; an inline spawn passes them as `provide`/`onStop`. The writer (and
 * its open file) lives in the actor's resource slot, not here.
 */
import type { ActorImplementations } from '../../../src/runtime/define-actor.ts'
import { createSnapshotterImplementations, writerOf, type SnapshotterPlatform } from '../implementations.ts'
import type { SnapshotterMachine } from '../machine.ts'
import { nodeDisk } from './node-disk.ts'

export function nodeSnapshotterIo(observe?: SnapshotterPlatform['observe']): ActorImplementations<SnapshotterMachine> {
  return {
    provide: (env) =>
      createSnapshotterImplementations(env, { disk: nodeDisk(), defer: (fn) => void setImmediate(fn), now: () => performance.now(), ...(observe ? { observe } : {}) }),
    // Exit work outside the machine, for a stop that does not go through `runtime.shutdown`;
    // idempotent with the machine's own shutdown.
    onStop: async (env) => {
      await writerOf(env)?.shutdown()
    },
  }
}

/**
 * The snapshotter on a nearly full in-memory disk (2 KiB), for runtime tests in both placements: the
 * same definition with this folder's thread entry, and the implementations that entry hosts.
 */
import { defineActor } from '../../../src/runtime/define-actor.ts'
import type { ActorImplementations } from '../../../src/runtime/define-actor.ts'
import { snapshotter } from '../../../actors/snapshotter/definition.ts'
import { createSnapshotterImplementations } from '../../../actors/snapshotter/implementations.ts'
import type { SnapshotterMachine } from '../../../actors/snapshotter/machine.ts'
import { LimitedDisk } from './limited-disk.ts'

/** Bytes the disk holds: the file opens, and a few hundred records do not fit. */
export const FULL_DISK_BYTES = 2048

export const fullDiskSnapshotter = defineActor({ ...snapshotter, worker: new URL('./full-disk-worker.ts', import.meta.url) })

export function fullDiskIo(): ActorImplementations<SnapshotterMachine> {
  const disk = new LimitedDisk(FULL_DISK_BYTES)
  return { provide: (env) => createSnapshotterImplementations(env, { disk, defer: (fn) => void setImmediate(fn) }) }
}

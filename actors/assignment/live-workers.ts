/**
 * The calculator's live worker set: a plain array sorted by id (no Map, so it is cloneable data
 * and ids such as "__proto__" are just strings). Copy-on-write: each change returns a new array.
 */
import { workerIndex } from './assignment.ts'
import { compareIds, type WorkerSpec } from './worker-spec.ts'

export function findWorker(live: readonly WorkerSpec[], id: string): WorkerSpec | undefined {
  const i = workerIndex({ workers: live }, id)
  return i < 0 ? undefined : live[i]
}

/** `live` with `worker` added or its weight replaced. */
export function upsertWorker(live: readonly WorkerSpec[], worker: WorkerSpec): WorkerSpec[] {
  const out = live.filter((w) => w.id !== worker.id)
  let at = out.length
  while (at > 0 && compareIds(out[at - 1]!.id, worker.id) > 0) at--
  out.splice(at, 0, { id: worker.id, weight: worker.weight })
  return out
}

export function removeWorker(live: readonly WorkerSpec[], id: string): WorkerSpec[] {
  return live.filter((w) => w.id !== id)
}

export function hasCapacity(live: readonly WorkerSpec[]): boolean {
  return live.some((w) => w.weight > 0)
}

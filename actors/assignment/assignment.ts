/**
 * The Assignment value: which worker owns each partition, stamped with the leader's term (its
 * fencing token) and a version that grows with every publication across leaders. Owners are
 * 16-bit indexes into the worker table (sorted by id), so a 100,000-partition assignment is
 * 200 KB and crosses threads by structured clone as one typed array.
 */
import { AssignmentInputError } from './errors.ts'
import { checkCounter, checkPartitions, compareIds, normalizeWorkers, type WorkerSpec } from './worker-spec.ts'

export interface Assignment {
  /** Grows by one with every published assignment, across terms (a new leader continues it). */
  readonly version: number
  /** The publishing leader's term; workers refuse one older than the newest they accepted. */
  readonly term: number
  readonly partitions: number
  /** The workers it was computed over, sorted by id (weight 0 = draining, owns nothing once drained). */
  readonly workers: readonly WorkerSpec[]
  /** owners[p] = index into `workers` of partition p's owner; length `partitions`. */
  readonly owners: Uint16Array
}

/**
 * Builds a checked Assignment: counters, partition count, worker table (ids sorted and unique, at
 * least one with weight > 0), and every owner index inside the table. Throws AssignmentInputError.
 */
export function createAssignment(fields: { version: number; term: number; partitions: number; workers: readonly WorkerSpec[]; owners: Uint16Array }): Assignment {
  checkCounter('version', fields.version)
  checkCounter('term', fields.term)
  checkPartitions(fields.partitions)
  const workers = normalizeWorkers(fields.workers)
  for (let i = 0; i < workers.length; i++) {
    if (workers[i]!.id !== fields.workers[i]!.id) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', 'the worker table must be sorted by id')
  }
  if (!(fields.owners instanceof Uint16Array) || fields.owners.length !== fields.partitions) {
    throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_PARTITIONS', `owners must be a Uint16Array of length ${fields.partitions}`)
  }
  const n = workers.length
  for (let p = 0; p < fields.owners.length; p++) {
    if (fields.owners[p]! >= n) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', `partition ${p} names worker #${fields.owners[p]} of ${n}`, { partition: p })
  }
  return { version: fields.version, term: fields.term, partitions: fields.partitions, workers, owners: fields.owners }
}

export function ownerOf(a: Assignment, partition: number): string {
  const i = a.owners[partition]
  if (i === undefined) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_PARTITIONS', `partition ${partition} is outside 0..${a.partitions - 1}`)
  return a.workers[i]!.id
}

/** Index of worker `id` in the table (binary search; the table is sorted), or -1. */
export function workerIndex(a: Pick<Assignment, 'workers'>, id: string): number {
  let lo = 0
  let hi = a.workers.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const c = compareIds(a.workers[mid]!.id, id)
    if (c === 0) return mid
    if (c < 0) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}

/** Partitions owned by `id`, ascending. */
export function partitionsOf(a: Assignment, id: string): number[] {
  const idx = workerIndex(a, id)
  const out: number[] = []
  if (idx < 0) return out
  for (let p = 0; p < a.owners.length; p++) if (a.owners[p] === idx) out.push(p)
  return out
}

/** Partition count per worker, in table order. */
export function loadsOf(a: Pick<Assignment, 'workers' | 'owners'>): number[] {
  const loads = new Array<number>(a.workers.length).fill(0)
  for (let p = 0; p < a.owners.length; p++) loads[a.owners[p]!]!++
  return loads
}

/**
 * For each partition of `next`, whether its owner differs from `previous`'s (by id: the tables may
 * differ). Partitions that `previous` does not have count as moved.
 */
export function movedMask(previous: Assignment | undefined, next: Assignment): Uint8Array {
  const moved = new Uint8Array(next.partitions)
  if (previous === undefined) return moved.fill(1)
  const map = tableMap(previous, next)
  for (let p = 0; p < next.partitions; p++) {
    moved[p] = p < previous.partitions && map[previous.owners[p]!] === next.owners[p] ? 0 : 1
  }
  return moved
}

/** How many partitions changed owner from `previous` to `next` (counted in place: no mask is built). */
export function movedCount(previous: Assignment | undefined, next: Assignment): number {
  if (previous === undefined) return next.partitions
  const map = tableMap(previous, next)
  let n = 0
  for (let p = 0; p < next.partitions; p++) if (p >= previous.partitions || map[previous.owners[p]!] !== next.owners[p]) n++
  return n
}

/** True when both map every partition to the same worker ids (terms, versions and weights aside); stops at the first difference. */
export function sameOwners(a: Assignment, b: Assignment): boolean {
  if (a.partitions !== b.partitions) return false
  const map = tableMap(a, b)
  for (let p = 0; p < a.partitions; p++) if (map[a.owners[p]!] !== b.owners[p]) return false
  return true
}

/** For each worker index of `from`, its index in `to` (-1 when `to` lacks it). Both tables are sorted. */
export function tableMap(from: Pick<Assignment, 'workers'>, to: Pick<Assignment, 'workers'>): Int32Array {
  const map = new Int32Array(from.workers.length).fill(-1)
  let j = 0
  for (let i = 0; i < from.workers.length; i++) {
    const id = from.workers[i]!.id
    while (j < to.workers.length && compareIds(to.workers[j]!.id, id) < 0) j++
    if (j < to.workers.length && to.workers[j]!.id === id) map[i] = j
  }
  return map
}

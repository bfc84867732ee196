/**
 * What a strategy assigns over: the partition count and the workers (a stable id and a weight).
 * Every entry point validates here, once, with coded errors, and gets the workers back in one
 * canonical order (by id), so the same set in any order gives the same assignment.
 */
import { AssignmentInputError } from './errors.ts'

export interface WorkerSpec {
  /** Stable worker id (parti's `worker-N`): the same worker after a restart gets its partitions back. 1..255 UTF-8 bytes. */
  readonly id: string
  /** Share of the partitions relative to the others; 0 = receives nothing (draining). Finite, >= 0. */
  readonly weight: number
}

/** Largest partition count (a 1,000,000-partition assignment is 2 MB of owners: 2 bytes each). */
export const MAX_PARTITIONS = 1_000_000
/** Owners are stored as 16-bit indexes into the worker table. */
export const MAX_WORKERS = 0xffff
/** A worker id is one length byte of UTF-8 in the encoded assignment. */
export const MAX_WORKER_ID_BYTES = 255

const UTF8 = new TextEncoder()
/** With the `u` flag this matches only unpaired surrogates, which UTF-8 cannot carry (two ids would encode alike). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

export function checkPartitions(partitions: unknown): asserts partitions is number {
  if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_PARTITIONS', `partitions must be an integer in 1..${MAX_PARTITIONS}, got ${String(partitions)}`, {
      partitions: typeof partitions === 'number' ? partitions : String(partitions),
    })
  }
}

/** Throws unless `n` is a non-negative safe integer (terms and versions are fencing tokens: no fractions, no overflow). */
export function checkCounter(field: 'term' | 'version', n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_TERM', `${field} must be a non-negative safe integer, got ${String(n)}`, { field })
  }
}

/** Throws unless `w` is a usable worker spec. */
export function checkWorker(w: unknown): asserts w is WorkerSpec {
  if (typeof w !== 'object' || w === null) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', 'a worker must be an object { id, weight }')
  const { id, weight } = w as { id?: unknown; weight?: unknown }
  if (typeof id !== 'string' || id.length === 0) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', 'a worker id must be a non-empty string')
  if (LONE_SURROGATE.test(id)) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', 'a worker id must be well-formed Unicode', { id })
  // A UTF-16 unit is at most 3 UTF-8 bytes: only a long id needs encoding (1,000 ids a leadership start).
  if (id.length * 3 > MAX_WORKER_ID_BYTES && UTF8.encode(id).length > MAX_WORKER_ID_BYTES) {
    throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', `worker id is longer than ${MAX_WORKER_ID_BYTES} UTF-8 bytes`, { id: id.slice(0, 32) })
  }
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', `worker ${id}: weight must be a finite number >= 0, got ${String(weight)}`, { id })
  }
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Validates the workers and returns fresh copies sorted by id. Throws ERR_ASSIGNMENT_INVALID_WORKER
 * (bad spec or repeated id), ERR_ASSIGNMENT_TOO_MANY_WORKERS past `maxWorkers`, and, when
 * `requireCapacity`, ERR_ASSIGNMENT_NO_CAPACITY if no worker has a weight above 0.
 */
export function normalizeWorkers(workers: readonly WorkerSpec[], options: { maxWorkers?: number; requireCapacity?: boolean } = {}): WorkerSpec[] {
  if (!Array.isArray(workers)) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', 'workers must be an array')
  const max = Math.min(options.maxWorkers ?? MAX_WORKERS, MAX_WORKERS)
  if (workers.length > max) {
    throw new AssignmentInputError('ERR_ASSIGNMENT_TOO_MANY_WORKERS', `${workers.length} workers; at most ${max}`, { workers: workers.length, max })
  }
  const byId = new Map<string, WorkerSpec>()
  for (const w of workers) {
    checkWorker(w)
    if (byId.has(w.id)) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_WORKER', `worker id ${w.id} appears twice`, { id: w.id })
    byId.set(w.id, { id: w.id, weight: w.weight })
  }
  // The ids sorted by the default comparison, UTF-16 code units: compareIds' order, without a call
  // into a comparator per comparison (1,000 workers sort in a leadership's first turn, cold code:
  // 0.5-0.8 ms with a comparator, the turn's largest part).
  const out = [...byId.keys()].sort().map((id) => byId.get(id)!)
  if ((options.requireCapacity ?? true) && !out.some((w) => w.weight > 0)) {
    throw new AssignmentInputError('ERR_ASSIGNMENT_NO_CAPACITY', out.length === 0 ? 'no workers to assign partitions to' : 'every worker has weight 0', { workers: out.length })
  }
  return out
}

/**
 * The one interface every assignment strategy implements, and the input preparation they share:
 * validation (coded errors), the canonical worker table, fair shares by weight, and the previous
 * assignment's owners re-indexed into the new table.
 */
import { createAssignment, tableMap, type Assignment } from '../assignment.ts'
import { checkCounter, checkPartitions, normalizeWorkers, type WorkerSpec } from '../worker-spec.ts'

export type StrategyName = 'consistent-hash' | 'rendezvous' | 'round-robin'

export interface AssignInput {
  partitions: number
  workers: readonly WorkerSpec[]
  /** The assignment in force: partitions stay where they are unless the bound or the strategy requires a move. */
  previous?: Assignment
  /** Term stamped on the result (default: previous's, else 0). */
  term?: number
  /** Version stamped on the result (default: previous's + 1, else 1). */
  version?: number
}

export interface Strategy {
  readonly name: StrategyName
  /** Pure and deterministic: the same input (workers in any order) gives the same Assignment. */
  assign(input: AssignInput): Assignment
}

/** Shares below this much over an integer still round down (float noise in P × w / W). */
const SHARE_EPSILON = 1e-9

export interface PreparedInput {
  partitions: number
  /** Sorted by id; the result's table. */
  workers: WorkerSpec[]
  /** Workers with weight > 0, as indexes into `workers`, ascending. */
  active: number[]
  /** Exact share of each worker: P × w / Σw (0 for weight 0). */
  fair: Float64Array
  /**
   * prevOwner[p] = index into `workers` of partition p's owner in `previous`, or -1 when there is
   * no previous, p is new, or that owner is gone or has weight 0 (it must give the partition up).
   */
  prevOwner: Int32Array
  term: number
  version: number
}

export function prepareInput(input: AssignInput): PreparedInput {
  checkPartitions(input.partitions)
  const workers = normalizeWorkers(input.workers)
  const previous = input.previous
  const term = input.term ?? previous?.term ?? 0
  const version = input.version ?? (previous === undefined ? 1 : previous.version + 1)
  checkCounter('term', term)
  checkCounter('version', version)
  const P = input.partitions
  let total = 0
  const active: number[] = []
  for (let i = 0; i < workers.length; i++) {
    if (workers[i]!.weight > 0) {
      active.push(i)
      total += workers[i]!.weight
    }
  }
  const fair = new Float64Array(workers.length)
  for (const i of active) fair[i] = (P * workers[i]!.weight) / total
  const prevOwner = new Int32Array(P).fill(-1)
  if (previous !== undefined) {
    const map = tableMap(previous, { workers })
    const n = Math.min(P, previous.partitions)
    for (let p = 0; p < n; p++) {
      const j = map[previous.owners[p]!]!
      if (j >= 0 && workers[j]!.weight > 0) prevOwner[p] = j
    }
  }
  return { partitions: P, workers, active, fair, prevOwner, term, version }
}

/** ceil of a share, ignoring float noise just above an integer. */
export function ceilShare(x: number): number {
  return Math.ceil(x - SHARE_EPSILON)
}

/** floor of a share, ignoring float noise just below an integer. */
export function floorShare(x: number): number {
  return Math.floor(x + SHARE_EPSILON)
}

/** The result, stamped and checked. */
export function finish(prep: PreparedInput, owners: Int32Array | Uint16Array): Assignment {
  const out = owners instanceof Uint16Array ? owners : Uint16Array.from(owners)
  return createAssignment({ version: prep.version, term: prep.term, partitions: prep.partitions, workers: prep.workers, owners: out })
}

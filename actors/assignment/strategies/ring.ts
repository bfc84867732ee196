/**
 * The hash ring of consistent hashing: each worker with weight > 0 places virtual nodes on a
 * 32-bit circle (more for heavier workers), and a partition's home is the first vnode clockwise
 * of its own point. `RingWalk` finds the first vnode clockwise whose worker still has room, in
 * near-constant time per call: a full worker's vnodes are spliced out of a "next open vnode"
 * union-find, so filling W workers over P partitions costs O((P + vnodes) · α) instead of a
 * linear walk past every full worker.
 */
import { partitionBase, partitionPoint, vnodePoint, workerHash } from '../hash.ts'
import type { WorkerSpec } from '../worker-spec.ts'

/** Most vnodes on one ring: past this, every worker's count shrinks in proportion (bounded memory and time). */
export const MAX_RING_POINTS = 1 << 20
/** A heavy worker gets at most this many times the base vnode count. */
const MAX_VNODE_FACTOR = 4

export interface Ring {
  /** Vnode points, ascending. */
  readonly points: Uint32Array
  /** Worker index (into the worker table) of each vnode. */
  readonly owner: Uint16Array
  /** vnodesOf(i): ring indexes of worker i's vnodes, as CSR offsets into `byWorker`. */
  readonly start: Int32Array
  readonly byWorker: Int32Array
}

/**
 * Builds the ring for `workers` (the sorted table); only `active` ones (weight > 0) get vnodes:
 * round(vnodes × weight / mean weight), at least 1, at most 4 × vnodes, scaled down together when
 * the total would pass MAX_RING_POINTS.
 */
export function buildRing(workers: readonly WorkerSpec[], active: readonly number[], vnodes: number, seed: number): Ring {
  let mean = 0
  for (const i of active) mean += workers[i]!.weight
  mean /= active.length
  const counts = new Int32Array(workers.length)
  let total = 0
  for (const i of active) {
    counts[i] = Math.min(MAX_VNODE_FACTOR * vnodes, Math.max(1, Math.round((vnodes * workers[i]!.weight) / mean)))
    total += counts[i]!
  }
  if (total > MAX_RING_POINTS) {
    const scale = MAX_RING_POINTS / total
    total = 0
    for (const i of active) {
      counts[i] = Math.max(1, Math.floor(counts[i]! * scale))
      total += counts[i]!
    }
  }
  let points = new Uint32Array(total)
  let owner = new Uint16Array(total)
  let k = 0
  for (const i of active) {
    const base = workerHash(workers[i]!.id, seed)
    for (let v = 0; v < counts[i]!; v++, k++) {
      points[k] = vnodePoint(base, v)
      owner[k] = i
    }
  }
  // LSD radix sort by point, 8 bits a pass: linear, and stable, so equal points stay in worker order.
  let spareP = new Uint32Array(total)
  let spareO = new Uint16Array(total)
  const count = new Int32Array(257)
  for (let shift = 0; shift < 32; shift += 8) {
    count.fill(0)
    for (let r = 0; r < total; r++) count[((points[r]! >>> shift) & 0xff) + 1]!++
    for (let d = 0; d < 256; d++) count[d + 1]! += count[d]!
    for (let r = 0; r < total; r++) {
      const at = count[(points[r]! >>> shift) & 0xff]!++
      spareP[at] = points[r]!
      spareO[at] = owner[r]!
    }
    ;[points, spareP] = [spareP, points]
    ;[owner, spareO] = [spareO, owner]
  }
  const start = new Int32Array(workers.length + 1)
  for (let r = 0; r < total; r++) start[owner[r]! + 1]!++
  for (let i = 0; i < workers.length; i++) start[i + 1]! += start[i]!
  const fill = start.slice(0, workers.length)
  const byWorker = new Int32Array(total)
  for (let r = 0; r < total; r++) byWorker[fill[owner[r]!]!++] = r
  return { points, owner, start, byWorker }
}

/** Ring index of the first vnode at or clockwise after `point`. */
export function successor(ring: Ring, point: number): number {
  const pts = ring.points
  let lo = 0
  let hi = pts.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (pts[mid]! < point) lo = mid + 1
    else hi = mid
  }
  return lo === pts.length ? 0 : lo
}

/** Each partition's first ring index (its home vnode) and home worker. */
export function homes(ring: Ring, partitions: number, seed: number): { first: Int32Array; home: Int32Array } {
  const first = new Int32Array(partitions)
  const home = new Int32Array(partitions)
  const base = partitionBase(seed)
  for (let p = 0; p < partitions; p++) {
    const r = successor(ring, partitionPoint(p, seed, base))
    first[p] = r
    home[p] = ring.owner[r]!
  }
  return { first, home }
}

/** Clockwise search for an open vnode; a worker is closed (all its vnodes at once) when it is full. */
export class RingWalk {
  /** next[r] = r while vnode r is open; otherwise a later index to look at (path-compressed). Index n is the wrap sentinel. */
  readonly #next: Int32Array
  readonly #ring: Ring
  #open: number

  constructor(ring: Ring, isOpen: (worker: number) => boolean) {
    const n = ring.points.length
    this.#ring = ring
    this.#next = new Int32Array(n + 1)
    for (let r = 0; r <= n; r++) this.#next[r] = r
    this.#open = n
    for (let w = 0; w + 1 < ring.start.length; w++) if (ring.start[w + 1]! > ring.start[w]! && !isOpen(w)) this.close(w)
  }

  /** Closes every vnode of `worker`. */
  close(worker: number): void {
    const { start, byWorker } = this.#ring
    for (let k = start[worker]!; k < start[worker + 1]!; k++) {
      const r = byWorker[k]!
      if (this.#next[r] === r) {
        this.#next[r] = r + 1
        this.#open--
      }
    }
  }

  /** The worker of the first open vnode at or after ring index `from` (wrapping), or -1 if none is open. */
  find(from: number): number {
    if (this.#open === 0) return -1
    let r = this.#root(from)
    if (r === this.#next.length - 1) r = this.#root(0)
    return this.#ring.owner[r]!
  }

  #root(from: number): number {
    const next = this.#next
    let r = from
    while (next[r] !== r) r = next[r]!
    // Path compression: everything passed on the way now points straight at the open vnode.
    let c = from
    while (next[c] !== r) {
      const up = next[c]!
      next[c] = r
      c = up
    }
    return r
  }
}

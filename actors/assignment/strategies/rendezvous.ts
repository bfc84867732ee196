/**
 * Weighted rendezvous (highest random weight) hashing: partition p goes to the worker with the
 * highest score -w / ln(u), u a seeded draw in (0, 1) for the pair (p, worker id). A worker wins a
 * share proportional to its weight (Schindelhauer and Schomaker's logarithmic method); weight 0
 * never wins. Adding a worker moves exactly the partitions it now wins, removing one moves exactly
 * its own, and nothing else changes: rendezvous is sticky by construction, so `previous` needs no
 * special handling (every partition already stays put unless its top scorer changed). It has no
 * load bound: loads follow the binomial spread around the fair share. Cost: P × W draws, so large
 * inputs belong on the compute pool.
 */
import { partitionBase, partitionPoint, pairDraw, workerHash } from '../hash.ts'
import { finish, prepareInput, type Strategy } from './strategy.ts'

export interface RendezvousOptions {
  /** Hash seed: every leader must use the same one. */
  seed?: number
}

export function rendezvous(options: RendezvousOptions = {}): Strategy {
  const seed = options.seed ?? 0
  return {
    name: 'rendezvous',
    assign(input) {
      const prep = prepareInput(input)
      const { partitions: P, workers, active } = prep
      const m = active.length
      const hi = new Uint32Array(m)
      const lo = new Uint32Array(m)
      const weight = new Float64Array(m)
      let equal = true
      for (let k = 0; k < m; k++) {
        const h = workerHash(workers[active[k]!]!.id, seed)
        hi[k] = h.hi
        lo[k] = h.lo
        weight[k] = workers[active[k]!]!.weight
        if (weight[k] !== weight[0]) equal = false
      }
      const owner = new Uint16Array(P)
      const base = partitionBase(seed)
      for (let p = 0; p < P; p++) {
        const pt = partitionPoint(p, seed, base)
        let best = 0
        if (equal) {
          // Equal weights: -w / ln(u) grows with u, so the largest raw draw wins (no logarithms).
          let top = -1
          for (let k = 0; k < m; k++) {
            const d = pairDraw(pt, hi[k]!, lo[k]!)
            if (d > top) {
              top = d
              best = k
            }
          }
        } else {
          let top = -Infinity
          for (let k = 0; k < m; k++) {
            const u = (pairDraw(pt, hi[k]!, lo[k]!) + 0.5) / 0x1_0000_0000
            const score = -weight[k]! / Math.log(u)
            if (score > top) {
              top = score
              best = k
            }
          }
        }
        owner[p] = active[best]!
      }
      return finish(prep, owner)
    },
  }
}

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018), made sticky.
 *
 * Every worker with weight > 0 has vnodes on a seeded ring (strategies/ring.ts); a partition's
 * home is the first vnode clockwise of its point. With fair share f = P × w / Σw, each worker has
 *   - a bound   ceil(c × f)  (c = loadFactor, 1.25): nobody keeps more than this;
 *   - a target  ceil(f)      : partitions being placed walk clockwise past workers at their target;
 *   - a floor   floor(f / c) : a worker below it pulls its home partitions back, from workers that
 *                              stay at or above their own floor.
 * One pass, given the previous assignment:
 *   1. keep:  every partition stays with its previous owner if that worker is still here with weight > 0;
 *   2. shed:  a worker above its bound gives up the excess (away-from-home partitions first);
 *   3. place: orphans (new partitions, or owners gone) walk clockwise from their home to the first
 *             worker below its target (room always exists: Σ ceil(f) >= P);
 *   4. pull:  workers below their floor (a joining worker starts at 0) take their home partitions
 *             back up to their target.
 * So, with equal weights (property-tested up to N = 40), a join moves partitions only to the
 * newcomer, at most ceil(f) ≈ P/(N+1), and a leave moves only the leaver's partitions; with any
 * weights, nothing moves when nothing changed (the result is a fixed point of the pass). With
 * unequal weights and few partitions per worker, a cold start can leave a worker below its floor;
 * when a leave then makes it the new home of partitions that were homed at the leaver but sit
 * elsewhere, it pulls those too (3 in ~1,800 random weighted fleets in our exploration).
 * Placing up to the target rather than up to the bound keeps every load near f (the bound c only
 * limits what an old placement may keep): filled to the bound, the workers sitting at it after a
 * cold start must shed when a join lowers the bound, and in bench:assignment those moves cost up
 * to 22% more than the optimum (`fillTo: 'bound'` keeps that classic behaviour for comparison).
 */
import type { Assignment } from '../assignment.ts'
import { buildRing, homes, RingWalk } from './ring.ts'
import { ceilShare, finish, floorShare, prepareInput, type AssignInput, type Strategy } from './strategy.ts'

export interface ConsistentHashOptions {
  /** Vnodes per worker of average weight. parti: 150 (its docs advise 100-300). */
  vnodes?: number
  /** c: the load bound is ceil(c × fair share). 1.25 (the target for max/average load). */
  loadFactor?: number
  /** Ring seed: every leader must use the same one (config, not runtime randomness). */
  seed?: number
  /** Where placement stops: at the fair share ('fair', default) or at the bound ('bound', the classic algorithm). */
  fillTo?: 'fair' | 'bound'
}

export const DEFAULT_VNODES = 150
export const DEFAULT_LOAD_FACTOR = 1.25

export function consistentHash(options: ConsistentHashOptions = {}): Strategy {
  const vnodes = options.vnodes ?? DEFAULT_VNODES
  const c = options.loadFactor ?? DEFAULT_LOAD_FACTOR
  const seed = options.seed ?? 0
  const fillTo = options.fillTo ?? 'fair'
  return { name: 'consistent-hash', assign: (input) => assignConsistentHash(input, vnodes, c, seed, fillTo) }
}

function assignConsistentHash(input: AssignInput, vnodes: number, c: number, seed: number, fillTo: 'fair' | 'bound'): Assignment {
  const prep = prepareInput(input)
  const { partitions: P, workers, active, fair } = prep
  const n = workers.length
  const bound = new Int32Array(n)
  const target = new Int32Array(n)
  const floor = new Int32Array(n)
  for (const i of active) {
    bound[i] = ceilShare(c * fair[i]!)
    target[i] = fillTo === 'bound' ? bound[i]! : ceilShare(fair[i]!)
    floor[i] = floorShare(fair[i]! / c)
  }
  const ring = buildRing(workers, active, vnodes, seed)
  const { first, home } = homes(ring, P, seed)

  // 1. keep
  const owner = prep.prevOwner.slice()
  const load = new Int32Array(n)
  for (let p = 0; p < P; p++) if (owner[p]! >= 0) load[owner[p]!]!++

  // 2. shed: away-from-home partitions first, then any, highest partition first.
  let over = false
  for (const i of active) if (load[i]! > bound[i]!) over = true
  if (over) {
    for (const atHomeToo of [false, true]) {
      for (let p = P - 1; p >= 0; p--) {
        const o = owner[p]!
        if (o >= 0 && load[o]! > bound[o]! && (atHomeToo || home[p] !== o)) {
          owner[p] = -1
          load[o]!--
        }
      }
    }
  }

  // 3. place
  const walk = new RingWalk(ring, (w) => load[w]! < target[w]!)
  for (let p = 0; p < P; p++) {
    if (owner[p]! >= 0) continue
    const w = walk.find(first[p]!)
    owner[p] = w
    if (++load[w]! >= target[w]!) walk.close(w)
  }

  // 4. pull: partitions grouped by home (CSR); each worker below its floor scans its own. Repeated
  // until nothing moves, since a puller that rises past its floor may free a partition another
  // puller skipped; every pull puts a partition home for good, so this ends (in 1-2 passes in practice).
  if (active.some((i) => load[i]! < floor[i]!)) {
    const start = new Int32Array(n + 1)
    for (let p = 0; p < P; p++) start[home[p]! + 1]!++
    for (let i = 0; i < n; i++) start[i + 1]! += start[i]!
    const fill = start.slice(0, n)
    const byHome = new Int32Array(P)
    for (let p = 0; p < P; p++) byHome[fill[home[p]!]!++] = p
    for (let moved = true; moved; ) {
      moved = false
      for (const h of active) {
        if (load[h]! >= floor[h]!) continue
        for (let k = start[h]!; k < start[h + 1]! && load[h]! < target[h]!; k++) {
          const p = byHome[k]!
          const o = owner[p]!
          if (o === h || load[o]! <= floor[o]!) continue
          load[o]!--
          load[h]!++
          owner[p] = h
          moved = true
        }
      }
    }
  }
  return finish(prep, owner)
}

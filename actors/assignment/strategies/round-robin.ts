/**
 * Round robin: exact quotas (largest remainder of P × w / Σw, so they sum to P and differ from the
 * fair share by less than one), dealt in partition order over the workers in id order. Without a
 * previous assignment and with equal weights, partition p goes to worker p mod W. With one, each
 * worker keeps its previous partitions (lowest first) up to its quota and only the rest are dealt,
 * so a join moves exactly the newcomer's quota and a leave exactly the leaver's partitions. No
 * hashing: placement depends on the worker order, not on the partition's identity.
 */
import { finish, prepareInput, type Strategy } from './strategy.ts'

export function roundRobin(): Strategy {
  return {
    name: 'round-robin',
    assign(input) {
      const prep = prepareInput(input)
      const { partitions: P, active, fair } = prep
      const n = prep.workers.length
      // Largest remainder: floors first, then +1 to the largest fractional parts (ties: lower index).
      const quota = new Int32Array(n)
      let given = 0
      for (const i of active) {
        quota[i] = Math.floor(fair[i]!)
        given += quota[i]!
      }
      const byRemainder = [...active].sort((a, b) => fair[b]! - Math.floor(fair[b]!) - (fair[a]! - Math.floor(fair[a]!)) || a - b)
      for (let k = 0; given < P; k = (k + 1) % byRemainder.length, given++) quota[byRemainder[k]!]!++

      const owner = prep.prevOwner.slice()
      const load = new Int32Array(n)
      for (let p = 0; p < P; p++) {
        const o = owner[p]!
        if (o < 0) continue
        if (load[o]! < quota[o]!) load[o]!++
        else owner[p] = -1
      }
      let cursor = 0
      for (let p = 0; p < P; p++) {
        if (owner[p]! >= 0) continue
        // Some worker has room: the quotas sum to P and fewer than P partitions are placed.
        while (load[active[cursor]!]! >= quota[active[cursor]!]!) cursor = (cursor + 1) % active.length
        const w = active[cursor]!
        owner[p] = w
        load[w]!++
        cursor = (cursor + 1) % active.length
      }
      return finish(prep, owner)
    },
  }
}

/** Builders shared by the assignment tests. */
import { loadsOf, type Assignment } from '../../../actors/assignment/assignment.ts'
import type { WorkerSpec } from '../../../actors/assignment/worker-spec.ts'

/** `n` workers `worker-0` .. `worker-(n-1)` of weight `weight`. */
export function workers(n: number, weight = 1, prefix = 'worker-'): WorkerSpec[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, weight }))
}

/** Load per worker id. */
export function loadById(a: Assignment): Record<string, number> {
  const loads = loadsOf(a)
  return Object.fromEntries(a.workers.map((w, i) => [w.id, loads[i]!]))
}

/** The code of what `fn` throws (fails the test if it does not throw). */
export function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${String(err)}`
  }
  throw new Error('expected a throw')
}

/**
 * Lowers the scheduling priority of the calling thread, for the compute pool's threads: their work
 * (a rebalance of 100,000 partitions, a snapshot compaction) is long and can wait a few ms; an
 * actor's turn, and the system thread relaying its messages, should not. On a 2-core machine a
 * pool thread at the same priority takes a core for its whole task and makes every other woken
 * thread wait for the scheduler's next slice (several ms); at nice +10 (weight 110 against 1,024
 * for the actors' threads) a woken actor's thread runs at once, and the pool still has every cycle
 * the actors leave idle.
 *
 * Linux only: there `setpriority(PRIO_PROCESS, 0)` (os.setPriority with pid 0) sets the nice value
 * of the calling THREAD. Elsewhere the same call would lower the whole process, so nothing is done.
 */
import { getPriority, setPriority } from 'node:os'

export type PriorityResult = { applied: true; nice: number } | { applied: false; reason: 'platform' | 'none' | 'refused' }

/** Adds `increment` (0-19) to this thread's nice value, capped at 19; never fails. */
export function lowerThisThread(increment: number, platform: string = process.platform): PriorityResult {
  if (increment <= 0) return { applied: false, reason: 'none' }
  if (platform !== 'linux') return { applied: false, reason: 'platform' }
  try {
    const nice = Math.min(19, getPriority(0) + increment)
    setPriority(0, nice)
    return { applied: true, nice }
  } catch {
    // A sandbox that forbids it: the thread keeps its priority (the work is still correct).
    return { applied: false, reason: 'refused' }
  }
}

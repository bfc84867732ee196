/** The channel between bench/assignment/actor-stall.ts and the actor's thread (stall-worker.ts). */

/** The BroadcastChannel's name, and the thread monitor's resolution (ms). */
export const LOOP_CHANNEL = 'gossamer-bench-assignment-loop'
export const LOOP_RESOLUTION_MS = 1

export type LoopRequest = { type: 'reset'; id: number } | { type: 'read'; id: number }

export interface LoopReading {
  id: number
  /** The longest timer delay since the last reset, minus the resolution (ms): the loop's longest stall. */
  maxStallMs: number
  /** Timer ticks recorded since the last reset. */
  samples: number
  /**
   * The longest callback this thread ran since the last reset (ms): a message, a timer, a promise
   * continuation, timed from async_hooks' before to after. The thread's own work, without the time
   * it waited for a core.
   */
  longestTaskMs: number
}

/**
 * The compute pool's threads run below the actors' (thread-priority.ts): on Linux each pool thread
 * adds `compute.nice` (default 10) to its own nice value at its start, and only its own: the
 * system thread keeps its priority. Elsewhere nothing is changed (the call would lower the whole
 * process there).
 */
import { getPriority } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { ComputePool, DEFAULT_COMPUTE_NICE } from '../../src/runtime/compute-pool.ts'
import { lowerThisThread } from '../../src/runtime/thread-priority.ts'
import { computeTask } from '../../src/types/actor-env.ts'

const THREAD_NICE = computeTask<null, number>(new URL('../fixtures/compute/sum.ts', import.meta.url), 'threadNice')
const linux = process.platform === 'linux'

describe('compute pool thread priority', () => {
  let pool: ComputePool | undefined
  afterEach(async () => {
    await pool?.destroy()
    pool = undefined
  })

  it.runIf(linux)(`runs its threads at the system thread's nice + ${DEFAULT_COMPUTE_NICE} by default, and leaves the system thread as it was`, async () => {
    const before = getPriority(0)
    pool = new ComputePool({ maxThreads: 1 })
    expect(await pool.run(THREAD_NICE, null)).toBe(Math.min(19, before + DEFAULT_COMPUTE_NICE))
    expect(getPriority(0)).toBe(before)
  })

  it.runIf(linux)('takes the increment from the options (0: unchanged)', async () => {
    const before = getPriority(0)
    pool = new ComputePool({ maxThreads: 1, nice: 0 })
    expect(await pool.run(THREAD_NICE, null)).toBe(before)
    await pool.destroy()
    pool = new ComputePool({ maxThreads: 1, nice: 3 })
    expect(await pool.run(THREAD_NICE, null)).toBe(Math.min(19, before + 3))
  })

  it('changes nothing off Linux, or with no increment', () => {
    const before = getPriority(0)
    expect(lowerThisThread(10, 'darwin')).toEqual({ applied: false, reason: 'platform' })
    expect(lowerThisThread(0)).toEqual({ applied: false, reason: 'none' })
    expect(getPriority(0)).toBe(before)
  })
})

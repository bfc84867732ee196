/**
 * The calculator's compute effect on the real piscina pool (src/runtime/compute-pool.ts): the
 * request crosses to a pool thread and the Assignment comes back by structured clone, equal to
 * the inline answer.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { sameOwners } from '../../../actors/assignment/assignment.ts'
import { ASSIGNMENT_TASK, computeAssignment } from '../../../actors/assignment/compute-task.ts'
import { createAssignmentConfig } from '../../../actors/assignment/config.ts'
import { rebalanceRequest } from '../../../actors/assignment/rebalance.ts'
import { ComputePool } from '../../../src/runtime/compute-pool.ts'
import { workers } from './support.ts'

const pool = new ComputePool({ maxThreads: 1, idleTimeoutMs: 1000 })
afterAll(() => pool.destroy())

describe('assignment compute task', () => {
  it('computes a rebalance request on the pool, as it would inline', async () => {
    const config = createAssignmentConfig({ partitions: 20_000 })
    const previous = computeAssignment(rebalanceRequest(config, workers(40), undefined, 3))
    const request = rebalanceRequest(config, workers(41), previous, 3)
    const a = await pool.run(ASSIGNMENT_TASK, request)
    expect(a.owners).toBeInstanceOf(Uint16Array)
    expect([a.version, a.term, a.partitions]).toEqual([2, 3, 20_000])
    expect(sameOwners(a, computeAssignment(request))).toBe(true)
  })

  it('fails with ERR_COMPUTE_FAILED, naming the cause, on a request it cannot compute', async () => {
    const config = createAssignmentConfig({ partitions: 10 })
    const request = rebalanceRequest(config, workers(3, 0), undefined, 1)
    const err = (await pool.run(ASSIGNMENT_TASK, request).catch((e: unknown) => e)) as { code?: string; message?: string }
    expect(err.code).toBe('ERR_COMPUTE_FAILED')
    expect(err.message).toContain('every worker has weight 0')
  })
})

/** The calculator config: defaults with their sources, and an InvalidConfigError naming each bad field. */
import { describe, expect, it } from 'vitest'
import { createAssignmentConfig, DEFAULT_ASSIGNMENT_CONFIG, moveCap } from '../../../actors/assignment/config.ts'

function fieldOf(init: object): string {
  try {
    createAssignmentConfig(init as never)
  } catch (err) {
    const e = err as { code?: string; details?: { field?: string } }
    return `${e.code} ${e.details?.field}`
  }
  return 'accepted'
}

describe('assignment config', () => {
  it('fills parti and Akka defaults around the partition count', () => {
    const c = createAssignmentConfig({ partitions: 1000 })
    expect(c).toEqual({ ...DEFAULT_ASSIGNMENT_CONFIG, partitions: 1000 })
    expect([c.coldStartWindowMs, c.plannedScaleWindowMs, c.emergencyGraceMs, c.minRebalanceIntervalMs, c.maxMovesFraction]).toEqual([30_000, 10_000, 3_000, 10_000, 0.1])
  })

  const bad: Array<[object, string]> = [
    [{}, 'assignment.partitions'],
    [{ partitions: 0 }, 'assignment.partitions'],
    [{ partitions: 10_000_000 }, 'assignment.partitions'],
    [{ partitions: 10, strategy: 'random' }, 'assignment.strategy'],
    [{ partitions: 10, vnodes: 0 }, 'assignment.vnodes'],
    [{ partitions: 10, loadFactor: 0.9 }, 'assignment.loadFactor'],
    [{ partitions: 10, loadFactor: Number.NaN }, 'assignment.loadFactor'],
    [{ partitions: 10, seed: -1 }, 'assignment.seed'],
    [{ partitions: 10, plannedScaleWindowMs: -5 }, 'assignment.plannedScaleWindowMs'],
    [{ partitions: 10, emergencyGraceMs: 1.5 }, 'assignment.emergencyGraceMs'],
    [{ partitions: 10, restartRatio: 0 }, 'assignment.restartRatio'],
    [{ partitions: 10, maxMovesFraction: 1.5 }, 'assignment.maxMovesFraction'],
    [{ partitions: 10, maxMovesPerRound: -1 }, 'assignment.maxMovesPerRound'],
    [{ partitions: 10, publishTimeoutMs: 0 }, 'assignment.publishTimeoutMs'],
    [{ partitions: 10, maxWorkers: 70_000 }, 'assignment.maxWorkers'],
    [{ partitions: 10, inlineWorkLimit: -1 }, 'assignment.inlineWorkLimit'],
    [{ partitions: 10, coldStartWindowMs: 5_000 }, 'assignment.coldStartWindowMs'],
  ]
  for (const [init, field] of bad) {
    it(`names ${field} for ${JSON.stringify(init)}`, () => {
      expect(fieldOf(init)).toBe(`ERR_INVALID_CONFIG ${field}`)
    })
  }

  it('caps voluntary moves per round at min(absolute, 10% of the partitions), at least 1', () => {
    expect(moveCap(createAssignmentConfig({ partitions: 10_000 }))).toBe(1000)
    expect(moveCap(createAssignmentConfig({ partitions: 10_000, maxMovesPerRound: 20 }))).toBe(20)
    expect(moveCap(createAssignmentConfig({ partitions: 5 }))).toBe(1)
  })
})

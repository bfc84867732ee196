import { describe, expect, it } from 'vitest'
import { AGENT_SERF_OVERRIDES, createSerfConfig, DEFAULT_SERF_CONFIG } from '../../../actors/member-manager/config.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'

describe('Serf config', () => {
  it('defaults to Serf 0.9.4 DefaultConfig (spec 5.13)', () => {
    const c = createSerfConfig({ nodeName: 'n1' })
    expect(c).toMatchObject({
      protocolVersion: 4,
      broadcastTimeoutMs: 5000,
      leavePropagateDelayMs: 1000,
      eventBuffer: 512,
      queryBuffer: 512,
      reapIntervalMs: 15_000,
      recentIntentTimeoutMs: 300_000,
      reconnectIntervalMs: 30_000,
      reconnectTimeoutMs: 86_400_000,
      tombstoneTimeoutMs: 86_400_000,
      flapTimeoutMs: 60_000,
      queueCheckIntervalMs: 30_000,
      queueDepthWarning: 128,
      maxQueueDepth: 4096,
      minQueueDepth: 0,
      queryTimeoutMult: 16,
      querySizeLimit: 1024,
      queryResponseSizeLimit: 1024,
      userEventSizeLimit: 512,
      enableNameConflictResolution: true,
      coalescePeriodMs: 0,
    })
    expect(c.tags).toEqual({})
  })

  it('applies the agent overrides when asked', () => {
    const c = createSerfConfig({ nodeName: 'n1', ...AGENT_SERF_OVERRIDES })
    expect(c.protocolVersion).toBe(5)
    expect(c.coalescePeriodMs).toBe(3000)
    expect(DEFAULT_SERF_CONFIG.protocolVersion).toBe(4)
  })

  it('copies the tags so later changes to the init do not leak in', () => {
    const tags = { role: 'web' }
    const c = createSerfConfig({ nodeName: 'n1', tags })
    tags.role = 'db'
    expect(c.tags).toEqual({ role: 'web' })
  })

  it.each([
    [{ nodeName: '' }, 'serf.nodeName'],
    [{ nodeName: 'n', protocolVersion: 6 }, 'serf.protocolVersion'],
    [{ nodeName: 'n', reapIntervalMs: 0 }, 'serf.reapIntervalMs'],
    [{ nodeName: 'n', reconnectTimeoutMs: -1 }, 'serf.reconnectTimeoutMs'],
    [{ nodeName: 'n', tombstoneTimeoutMs: Number.NaN }, 'serf.tombstoneTimeoutMs'],
    [{ nodeName: 'n', maxRecentIntents: 0 }, 'serf.maxRecentIntents'],
    [{ nodeName: 'n', minQueueDepth: -2 }, 'serf.minQueueDepth'],
    [{ nodeName: 'n', userEventSizeLimit: 10_000 }, 'serf.userEventSizeLimit'],
    [{ nodeName: 'n', tags: { a: 1 as unknown as string } }, 'serf.tags.a'],
    [{ nodeName: 'n', tags: { big: 'x'.repeat(600) } }, 'serf.tags'],
    [{ nodeName: 'n', protocolVersion: 2, tags: { role: 'r'.repeat(513) } }, 'serf.tags'],
    [{ nodeName: 'n', enableNameConflictResolution: 'yes' as unknown as boolean }, 'serf.enableNameConflictResolution'],
    [{ nodeName: 'n', disableCoordinates: 0 as unknown as boolean }, 'serf.disableCoordinates'],
  ])('rejects %o naming %s', (init, field) => {
    expect(() => createSerfConfig(init)).toThrow(InvalidConfigError)
    expect(() => createSerfConfig(init)).toThrow(field)
  })
})

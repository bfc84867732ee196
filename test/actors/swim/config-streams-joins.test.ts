/**
 * swim's config block for streams and joins: the transport's stream limits (maxInboundStreams,
 * streamIdleTimeoutMs), the inbound byte budget (streamBufferBudgetBytes) and Serf's retry-join
 * (retryJoin, retryJoinIntervalMs, retryJoinMax): defaults, and errors that name the field.
 */
import { describe, expect, it } from 'vitest'
import { createSwimConfig, LAN_SWIM_CONFIG, WAN_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { DEFAULT_STREAM_LIMITS } from '../../../src/transport/transport.ts'
import { simNodes } from './support/sim-nodes.ts'

const fieldOf = (init: SwimInit): string | undefined => {
  try {
    createSwimConfig(init)
    return undefined
  } catch (err) {
    expect((err as { code?: string }).code).toBe('ERR_INVALID_CONFIG')
    return (err as { details?: { field?: string } }).details?.field
  }
}

describe('swim config: streams and joins', () => {
  it('defaults to the transport limits, a 64 MiB budget and Serf retry-join off (30 s interval, unlimited)', () => {
    expect(LAN_SWIM_CONFIG).toMatchObject({
      maxInboundStreams: DEFAULT_STREAM_LIMITS.maxInboundStreams,
      streamIdleTimeoutMs: DEFAULT_STREAM_LIMITS.idleTimeoutMs,
      streamBufferBudgetBytes: 64 * 1024 * 1024,
      retryJoin: [],
      retryJoinIntervalMs: 30_000,
      retryJoinMax: 0,
    })
    // Every preset's idle timeout covers its longest stream (2 × tcpTimeoutMs for a push/pull we start).
    for (const c of [LAN_SWIM_CONFIG, WAN_SWIM_CONFIG]) expect(c.streamIdleTimeoutMs).toBeGreaterThan(2 * c.tcpTimeoutMs)
    expect(createSwimConfig({ retryJoin: ['10.0.0.1:7946', '[::1]:7946'], retryJoinMax: 3 })).toMatchObject({ retryJoin: ['10.0.0.1:7946', '[::1]:7946'], retryJoinMax: 3 })
    // A missing port is swim.bindPort, as for swim.join (Serf's 7946).
    expect(() => createSwimConfig({ retryJoin: ['10.0.0.1', 'seed.example'] })).not.toThrow()
  })

  it.each<[SwimInit, string]>([
    [{ maxInboundStreams: 0 }, 'swim.maxInboundStreams'],
    [{ maxInboundStreams: 1.5 }, 'swim.maxInboundStreams'],
    [{ streamIdleTimeoutMs: 0 }, 'swim.streamIdleTimeoutMs'],
    [{ streamIdleTimeoutMs: 5_000 }, 'swim.streamIdleTimeoutMs'], // below the LAN tcpTimeoutMs (10 s)
    [{ streamBufferBudgetBytes: 64 * 1024 }, 'swim.streamBufferBudgetBytes'],
    [{ streamBufferBudgetBytes: Number.POSITIVE_INFINITY }, 'swim.streamBufferBudgetBytes'],
    [{ retryJoinIntervalMs: 500 }, 'swim.retryJoinIntervalMs'], // Serf's floor is 1 s
    [{ retryJoinMax: -1 }, 'swim.retryJoinMax'],
    [{ retryJoin: 'a:1' as never }, 'swim.retryJoin'],
    [{ retryJoin: ['10.0.0.1:7946', '10.0.0.300'] }, 'swim.retryJoin[1]'],
    [{ retryJoin: [7946 as never] }, 'swim.retryJoin[0]'],
  ])('refuses %j naming %s', (init, field) => {
    expect(fieldOf(init)).toBe(field)
  })

  it('a swim actor with a bad retryJoin ends in failed with the coded error, without binding', async () => {
    const nodes = simNodes(41)
    try {
      const opened: string[] = []
      const ref = await nodes.spawn('n1', 1, { config: { retryJoin: ['10.0.0.2:7946', '10.0.0.2:99999'] } }, { open: (at, limits) => (opened.push(at), nodes.net.createTransport(at, limits)) })
      const snap = await ref.getSnapshot()
      expect(snap.value).toBe('failed')
      expect(snap.context.configError).toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'swim.retryJoin[1]' } })
      expect(opened).toEqual([])
    } finally {
      await nodes.close()
    }
  })
})

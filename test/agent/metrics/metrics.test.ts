import { afterEach, describe, expect, it } from 'vitest'
import { NodeMetrics, numericLeaves } from '../../../src/agent/metrics/node-metrics.ts'
import { startMetricsServer } from '../../../src/agent/metrics/metrics-server.ts'
import type { MetricsServer } from '../../../src/agent/metrics/metrics-server.ts'
import type { NodeStats } from '../../../src/node/api.ts'
import { FakeNode, member } from '../fake-node.ts'

function stats(probesAcked: number): NodeStats {
  return {
    name: 'n1',
    serf: {
      members: 4,
      failed: 1,
      left: 1,
      healthScore: 2,
      memberTime: 17n,
      eventTime: 3n,
      queryTime: 1n,
      intentQueue: 0,
      eventQueue: 5,
      queryQueue: 0,
      encrypted: false,
      coordinateResets: 0,
    },
    tags: {},
    actors: {
      swim: {
        mailboxDepth: 1,
        restarts: 2,
        overflows: 0,
        counters: { packetsIn: 100, packetsSent: 90, probes: 10, probesAcked, probesFailed: 1, suspicions: 4, packetsUndecryptable: 3, lastRefusal: 'name' },
      },
      'gossip-queue': { mailboxDepth: 0, restarts: 0, overflows: 6, counters: { queues: { user: { depth: 4, pruned: 1 }, member: { depth: 0 } } } },
      'serf-events': { mailboxDepth: 0, restarts: 0, overflows: 0, counters: { userEventsDropped: 7, clock: 12n } },
    },
  }
}

let server: MetricsServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Lines of the exposition that are samples (not # HELP / # TYPE). */
const samples = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))

describe('agent - metrics', () => {
  it('flattens nested counters into dotted names, numbers and bigints only', () => {
    expect(numericLeaves({ a: 1, b: { c: 2n, d: 'x' }, e: [3], f: new Uint8Array(2) })).toEqual([
      ['a', 1],
      ['b.c', 2],
      ['e.0', 3],
    ])
  })

  it('serves the node\'s figures in Prometheus text over HTTP, fresh at each scrape', async () => {
    const node = new FakeNode({ name: 'n1' })
    node.memberList = [member('n1', [127, 0, 0, 1]), member('n2', [127, 0, 0, 2]), member('n3', [127, 0, 0, 3], {}, 'failed'), member('n4', [127, 0, 0, 4], {}, 'left')]
    // A section the API may grow (the node facade's counters) is exported as it comes.
    node.stats_ = { ...stats(5), node: { eventsPublished: 9, eventsDropped: 2, retryJoin: { status: 'off', attempts: 0 } } } as NodeStats
    const metrics = new NodeMetrics()
    const handlers = { counters: { eventsQueued: 3, eventsDropped: 1, runs: 3, runsFailed: 0, runsKilled: 1, runsSlow: 0, responsesSent: 2, responsesFailed: 0 }, queued: 0 }
    server = await startMetricsServer('127.0.0.1:0', () => metrics.scrape(node, handlers), metrics.registry.contentType)
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/)
    const res = await fetch(`http://${server.address}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(samples(text)).toEqual(
      expect.arrayContaining([
        'gossamer_members{status="alive"} 2',
        'gossamer_members{status="failed"} 1',
        'gossamer_members{status="left"} 1',
        'gossamer_members{status="leaving"} 0',
        'gossamer_health_score 2',
        'gossamer_lamport_time{clock="member"} 17',
        'gossamer_serf_queue_depth{queue="event"} 5',
        'gossamer_probes_total{outcome="started"} 10',
        'gossamer_probes_total{outcome="acked"} 5',
        'gossamer_probes_total{outcome="failed"} 1',
        'gossamer_suspicions_total 4',
        'gossamer_packets_total{direction="in"} 100',
        'gossamer_packets_total{direction="out"} 90',
        'gossamer_refused_total{reason="undecryptable"} 3',
        'gossamer_gossip_queue_depth{queue="user"} 4',
        'gossamer_gossip_queue_depth{queue="member"} 0',
        'gossamer_actor_mailbox_depth{actor="swim"} 1',
        'gossamer_actor_restarts_total{actor="swim"} 2',
        'gossamer_actor_overflows_total{actor="gossip-queue"} 6',
        'gossamer_actor_counter{actor="serf-events",counter="userEventsDropped"} 7',
        'gossamer_actor_counter{actor="gossip-queue",counter="queues.user.pruned"} 1',
        'gossamer_agent_handler_total{what="runsKilled"} 1',
        'gossamer_agent_handler_total{what="eventsDropped"} 1',
        'gossamer_node_stat{section="node",counter="eventsDropped"} 2',
        'gossamer_node_stat{section="node",counter="retryJoin.attempts"} 0',
      ]),
    )
    expect(text).toContain('# TYPE gossamer_probes_total counter')
    // A figure the node does not report is absent, not a made-up zero.
    expect(text).not.toMatch(/^gossamer_bytes_total\{/m)

    node.stats_ = stats(8)
    expect(samples(await (await fetch(`http://${server.address}/metrics`)).text())).toContain('gossamer_probes_total{outcome="acked"} 8')
    expect((await fetch(`http://${server.address}/other`)).status).toBe(404)
  })

  it('answers 500 with the reason when the node cannot give its stats', async () => {
    const node = new FakeNode({ name: 'n1' })
    const metrics = new NodeMetrics()
    server = await startMetricsServer('127.0.0.1:0', () => metrics.scrape(node), metrics.registry.contentType)
    const res = await fetch(`http://${server.address}/metrics`)
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('no stats set\n')
  })

  it('refuses an address in use with the listener error', async () => {
    const metrics = new NodeMetrics()
    server = await startMetricsServer('127.0.0.1:0', () => metrics.registry.metrics(), metrics.registry.contentType)
    await expect(startMetricsServer(server.address, () => metrics.registry.metrics(), metrics.registry.contentType)).rejects.toThrow(/EADDRINUSE/)
  })
})

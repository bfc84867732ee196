/**
 * The node's figures as Prometheus metrics (prom-client), refreshed from node.stats() and
 * node.members() at each scrape. Named metrics for what operators chart (members by status,
 * probes by outcome, suspicions, packets, refused input by reason, gossip queue depths, each
 * actor's mailbox depth, restarts and overflows, the agent's handler counters), and every numeric
 * counter any actor reports as `gossamer_actor_counter{actor,counter}`, so nothing stats() gives
 * is hidden. A counter an actor does not report is simply absent (never a made-up zero).
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { GossamerNode, NodeStats } from '../../node/api.ts'
import type { HandlerCounters } from '../handlers/event-handlers.ts'

/** swim counters that count refused or undecodable input, by the reason label they get. */
const REFUSED_COUNTERS: Readonly<Record<string, string>> = {
  packetsMalformed: 'malformed',
  packetsUndecryptable: 'undecryptable',
  partsInvalid: 'part_invalid',
  partsTruncated: 'part_truncated',
  messagesRefused: 'message_refused',
  pingsWrongNode: 'ping_wrong_node',
  streamsMalformed: 'stream_malformed',
  streamsTooLarge: 'stream_too_large',
  streamsDeclaredTooLarge: 'stream_declared_too_large',
  streamsOverBudget: 'stream_over_budget',
  pushPullsRejected: 'push_pull_rejected',
  pushPullsRefused: 'push_pull_refused',
}

/** The NodeStats sections read above by name; any other section is exported generically. */
const KNOWN_SECTIONS: ReadonlySet<string> = new Set(['name', 'serf', 'tags', 'actors'])

/** Numeric leaves of a counters object, by dotted path (`queues.user.depth`). */
export function numericLeaves(value: unknown, prefix = '', out: [string, number][] = []): [string, number][] {
  if (typeof value === 'number' && Number.isFinite(value)) out.push([prefix, value])
  else if (typeof value === 'bigint') out.push([prefix, Number(value)])
  else if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) numericLeaves(v, prefix === '' ? k : `${prefix}.${k}`, out)
  }
  return out
}

export class NodeMetrics {
  readonly registry = new Registry()
  readonly #members = this.#gauge('gossamer_members', 'Members this node knows, by status', ['status'])
  readonly #health = this.#gauge('gossamer_health_score', "Lifeguard's local health score (0 is healthy)")
  readonly #clocks = this.#gauge('gossamer_lamport_time', "Serf's Lamport clocks", ['clock'])
  readonly #serfQueues = this.#gauge('gossamer_serf_queue_depth', "Serf's intent, event and query queue depths", ['queue'])
  readonly #probes = this.#counter('gossamer_probes_total', 'Probes by outcome (started, acked, failed, indirect)', ['outcome'])
  readonly #suspicions = this.#counter('gossamer_suspicions_total', 'Suspicions this node started')
  readonly #deaths = this.#counter('gossamer_deaths_declared_total', 'Suspects this node declared dead')
  readonly #packets = this.#counter('gossamer_packets_total', 'Datagrams in and out', ['direction'])
  readonly #bytes = this.#counter('gossamer_bytes_total', 'Bytes in and out (when the transport counts them)', ['direction'])
  readonly #refused = this.#counter('gossamer_refused_total', 'Refused or undecodable input, by reason', ['reason'])
  readonly #gossipDepth = this.#gauge('gossamer_gossip_queue_depth', 'Broadcasts waiting in each gossip queue', ['queue'])
  readonly #mailbox = this.#gauge('gossamer_actor_mailbox_depth', "Messages waiting in each actor's mailbox", ['actor'])
  readonly #restarts = this.#counter('gossamer_actor_restarts_total', 'Supervised restarts of each actor', ['actor'])
  readonly #overflows = this.#counter('gossamer_actor_overflows_total', "Messages refused by each actor's full mailbox", ['actor'])
  readonly #actorCounters = this.#gauge('gossamer_actor_counter', "Every numeric counter each actor reports, by its name in stats()", ['actor', 'counter'])
  readonly #nodeStats = this.#gauge('gossamer_node_stat', 'Numeric figures of any further stats() section (e.g. the facade\'s event and join counts)', ['section', 'counter'])
  readonly #handlers = this.#counter('gossamer_agent_handler_total', 'Event handler figures (queued, dropped, runs, failed, killed, slow, responses)', ['what'])
  readonly #handlerQueue = this.#gauge('gossamer_agent_handler_queue_depth', 'Events waiting for the handler scripts')

  #gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] })
  }

  #counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] })
  }

  /** Sets every metric from one reading (the previous reading's series are cleared first). */
  update(stats: NodeStats, members: readonly { status: string }[], handlers?: { counters: HandlerCounters; queued: number }): void {
    this.registry.resetMetrics()
    const byStatus: Record<string, number> = { alive: 0, leaving: 0, left: 0, failed: 0 }
    for (const m of members) byStatus[m.status] = (byStatus[m.status] ?? 0) + 1
    for (const [status, n] of Object.entries(byStatus)) this.#members.set({ status }, n)
    this.#health.set(stats.serf.healthScore)
    this.#clocks.set({ clock: 'member' }, Number(stats.serf.memberTime))
    this.#clocks.set({ clock: 'event' }, Number(stats.serf.eventTime))
    this.#clocks.set({ clock: 'query' }, Number(stats.serf.queryTime))
    this.#serfQueues.set({ queue: 'intent' }, stats.serf.intentQueue)
    this.#serfQueues.set({ queue: 'event' }, stats.serf.eventQueue)
    this.#serfQueues.set({ queue: 'query' }, stats.serf.queryQueue)

    for (const [actor, a] of Object.entries(stats.actors)) {
      this.#mailbox.set({ actor }, a.mailboxDepth)
      this.#restarts.inc({ actor }, a.restarts)
      this.#overflows.inc({ actor }, a.overflows)
      const leaves = numericLeaves(a.counters)
      for (const [counter, value] of leaves) this.#actorCounters.set({ actor, counter }, value)
      const c = new Map(leaves)
      const put = (metric: Counter, labels: Record<string, string>, key: string): void => {
        const v = c.get(key)
        if (v !== undefined && v >= 0) metric.inc(labels, v)
      }
      if (actor === 'swim') {
        put(this.#probes, { outcome: 'started' }, 'probes')
        put(this.#probes, { outcome: 'acked' }, 'probesAcked')
        put(this.#probes, { outcome: 'failed' }, 'probesFailed')
        put(this.#probes, { outcome: 'indirect' }, 'indirectProbesSent')
        put(this.#suspicions, {}, 'suspicions')
        put(this.#deaths, {}, 'deathsDeclared')
        put(this.#packets, { direction: 'in' }, 'packetsIn')
        put(this.#packets, { direction: 'out' }, 'packetsSent')
        put(this.#bytes, { direction: 'in' }, 'bytesIn')
        put(this.#bytes, { direction: 'out' }, 'bytesSent')
        for (const [key, reason] of Object.entries(REFUSED_COUNTERS)) put(this.#refused, { reason }, key)
      }
      for (const [path, value] of leaves) {
        const m = /(?:^|\.)([^.]+)\.depth$/.exec(path)
        if (m !== null && actor.startsWith('gossip')) this.#gossipDepth.set({ queue: m[1]! }, value)
      }
    }
    // Sections stats() may grow beyond the ones above (the facade's own counters): shown as they come.
    for (const [section, value] of Object.entries(stats as unknown as Record<string, unknown>)) {
      if (KNOWN_SECTIONS.has(section)) continue
      for (const [counter, n] of numericLeaves(value)) this.#nodeStats.set({ section, counter }, n)
    }
    if (handlers !== undefined) {
      for (const [what, n] of Object.entries(handlers.counters)) this.#handlers.inc({ what }, n)
      this.#handlerQueue.set(handlers.queued)
    }
  }

  /** Reads the node and renders the Prometheus text. */
  async scrape(node: Pick<GossamerNode, 'stats' | 'members'>, handlers?: { counters: HandlerCounters; queued: number }): Promise<string> {
    const [stats, members] = await Promise.all([node.stats(), node.members()])
    this.update(stats, members, handlers)
    return this.registry.metrics()
  }
}

/**
 * The link model of a MemoryNetwork: the conditions each directed link has (latency, jitter,
 * loss), who can reach whom (partitions into groups, single blocked links), which hosts are down
 * and which are slow. It only answers questions and holds no clock, randomness or counters; the
 * network (memory-network.ts) draws the randomness in its fixed order and schedules deliveries.
 * Separate because what a scenario sets (the topology and its faults) changes on its own
 * schedule, independently of how bytes are carried and counted.
 */
import type { TransportAddress } from './transport.ts'
import { TransportError } from './transport.ts'

export interface LinkConditions {
  /** One-way delay (ms). */
  latencyMs: number
  /** Extra delay drawn uniformly in [0, jitterMs) per packet (ms). */
  jitterMs: number
  /** Probability in [0, 1] that a packet is lost. */
  loss: number
}

export class MemoryLinks {
  private defaultLink: LinkConditions
  /** Conditions of links that have their own, keyed `from>to`. */
  private readonly links = new Map<string, LinkConditions>()
  private readonly down = new Set<TransportAddress>()
  /** Partition group of each listed address (1-based); unlisted addresses reach every group. */
  private readonly groups = new Map<TransportAddress, number>()
  /** Cut links, keyed `from>to`. */
  private readonly blocked = new Set<string>()
  /** Extra delay of a slow node (ms), on everything it sends and receives. */
  private readonly nodeDelayMs = new Map<TransportAddress, number>()

  constructor(defaultLink: Partial<LinkConditions> = {}) {
    this.defaultLink = checkLink({ latencyMs: 1, jitterMs: 0, loss: 0, ...defaultLink })
  }

  /** Conditions for all links without their own. */
  setDefaultLink(conditions: Partial<LinkConditions>): void {
    this.defaultLink = checkLink({ ...this.defaultLink, ...conditions })
  }

  /** Conditions of the link a → b (and b → a unless `oneWay`). */
  setLink(a: TransportAddress, b: TransportAddress, conditions: Partial<LinkConditions>, oneWay: boolean): void {
    this.links.set(`${a}>${b}`, checkLink({ ...this.linkOf(a, b), ...conditions }))
    if (!oneWay) this.links.set(`${b}>${a}`, checkLink({ ...this.linkOf(b, a), ...conditions }))
  }

  /** Packet loss on every link (replaces per-link loss). */
  setLoss(loss: number): void {
    this.setDefaultLink({ loss })
    for (const [k, v] of this.links) this.links.set(k, { ...v, loss })
  }

  /** Splits the listed addresses into groups that cannot reach each other. Unlisted ones reach all. */
  partition(groups: TransportAddress[][]): void {
    this.groups.clear()
    groups.forEach((g, i) => g.forEach((a) => this.groups.set(a, i + 1)))
  }

  /** Cuts one link in both directions. */
  blockLink(a: TransportAddress, b: TransportAddress): void {
    this.blocked.add(`${a}>${b}`)
    this.blocked.add(`${b}>${a}`)
  }

  /** Removes every partition and blocked link. */
  heal(): void {
    this.groups.clear()
    this.blocked.clear()
  }

  setDown(address: TransportAddress, isDown: boolean): void {
    if (isDown) this.down.add(address)
    else this.down.delete(address)
  }

  isDown(address: TransportAddress): boolean {
    return this.down.has(address)
  }

  setNodeDelay(address: TransportAddress, ms: number): void {
    if (ms <= 0) this.nodeDelayMs.delete(address)
    else this.nodeDelayMs.set(address, ms)
  }

  canReach(from: TransportAddress, to: TransportAddress): boolean {
    if (this.blocked.has(`${from}>${to}`)) return false
    const gf = this.groups.get(from)
    const gt = this.groups.get(to)
    return gf === undefined || gt === undefined || gf === gt
  }

  linkOf(a: TransportAddress, b: TransportAddress): LinkConditions {
    return this.links.get(`${a}>${b}`) ?? this.defaultLink
  }

  /** A slow node's extra delay (ms); 0 for others. */
  delayOf(a: TransportAddress): number {
    return this.nodeDelayMs.get(a) ?? 0
  }
}

function checkLink(l: LinkConditions): LinkConditions {
  if (!(l.latencyMs >= 0) || !(l.jitterMs >= 0) || !(l.loss >= 0 && l.loss <= 1)) {
    throw new TransportError('ERR_TRANSPORT_ADDRESS', `invalid link conditions ${JSON.stringify(l)}: latencyMs and jitterMs >= 0, loss in [0, 1]`)
  }
  return l
}

/**
 * The in-memory network a simulated cluster runs on, shared by SimCluster (the pure logic) and
 * RuntimeCluster (the real actors), so both build it, trace it and disturb it the same way:
 * `createSimNetwork` makes it, `NetworkFaults` is the network half of ScenarioCluster (slow,
 * partition, heal, loss) with nodes named as the scenario names them.
 */
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { LinkConditions, MemoryNetworkOptions, NetworkClock, NetworkTraceEvent } from '../src/transport/memory-network.ts'
import type { TransportAddress } from '../src/transport/transport.ts'
import type { ScenarioCluster } from './scenario-cluster.ts'

export interface SimNetworkOptions {
  /** Link conditions for every link; latency defaults to 1 ms so no delivery is instantaneous. */
  link?: Partial<LinkConditions> | undefined
  /** Largest datagram carried (bytes); the network's own default when absent. */
  mtu?: number | undefined
  /** Receives one line per network event (delivery, drop, stream); no tracing when absent. */
  trace?: ((line: string) => void) | undefined
}

/** A MemoryNetwork on the cluster's clock, with its own random source (fork it from the cluster's). */
export function createSimNetwork(clock: NetworkClock, random: MemoryNetworkOptions['random'], options: SimNetworkOptions): MemoryNetwork {
  const netOpts: MemoryNetworkOptions = { clock, random, defaultLink: { latencyMs: 1, ...options.link } }
  if (options.mtu !== undefined) netOpts.mtu = options.mtu
  const trace = options.trace
  if (trace !== undefined) netOpts.trace = (e) => trace(networkTraceLine(e))
  return new MemoryNetwork(netOpts)
}

/** One trace line for a network event: time (ms), kind, from>to, bytes and the drop reason if any. */
export function networkTraceLine(e: NetworkTraceEvent): string {
  return `${e.atMs.toFixed(3)} ${e.kind} ${e.from}>${e.to} ${e.bytes}${e.reason === undefined ? '' : ` ${e.reason}`}`
}

/** ScenarioCluster's network operations on a cluster's MemoryNetwork, nodes named by scenario handle. */
export abstract class NetworkFaults implements Pick<ScenarioCluster, 'slow' | 'partition' | 'heal' | 'setLoss'> {
  abstract readonly network: MemoryNetwork

  /** The node with this handle (throws for an unknown one). */
  abstract get(name: string): { readonly address: TransportAddress }

  /** A slow node: its packets and streams are delayed by `delayMs` each way (0 restores it). */
  slow(name: string, delayMs: number): void {
    this.network.setNodeDelay(this.get(name).address, delayMs)
  }

  /** Splits the named nodes into groups that cannot reach each other; unnamed nodes reach all. */
  partition(...groups: string[][]): void {
    this.network.partition(...groups.map((g) => g.map((n) => this.get(n).address)))
  }

  /** Removes every partition and blocked link. */
  heal(): void {
    this.network.heal()
  }

  /** Packet loss on every link, in [0, 1). */
  setLoss(loss: number): void {
    this.network.setLoss(loss)
  }
}

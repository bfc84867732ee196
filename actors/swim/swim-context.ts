/**
 * The swim actor's input (what a spawn passes, structured-cloned into a worker) and its context
 * (plain data the runtime copies for snapshots and inspection), apart from the statechart.
 */
import type { WireError } from '../../src/errors/index.ts'
import type { SwimConfig, SwimInit, SwimPreset } from './config.ts'
import type { SwimInbound, SwimPeers } from './protocol.ts'
import type { SwimCounters } from './counters.ts'
import type { MemberFeedStats } from './member-feed.ts'

export interface SwimInput {
  name: string
  /** Raw IP (4 or 16 bytes) and port we advertise. Port 0: bind an ephemeral port and advertise it. */
  addr: Uint8Array
  port: number
  /** "ip:port" to bind when it differs from addr:port. */
  bind?: string
  /**
   * Meta to start with when member-manager cannot say (its `member.local-meta` ask fails). Normally
   * unneeded: member-manager owns the tags and swim asks it at every start.
   */
  meta?: Uint8Array
  preset?: SwimPreset
  /** Config choices; encryption as `keys` (data), since a Keyring does not cross into a worker. */
  config?: SwimInit
  peers?: Partial<SwimPeers>
  /** Addresses to join once running. */
  join?: string[]
}

/** swim's config as the context shows it: the keyring as its key count only. */
export type SwimConfigView = Omit<SwimConfig, 'keyring'> & { keyring: { keys: number } | null }

export function redactKeys(config: SwimConfig): SwimConfigView {
  return { ...config, keyring: config.keyring === null ? null : { keys: config.keyring.keys.length } }
}

export interface SwimContext {
  /** The config in use, key bytes redacted (snapshots and inspection may leave the thread). */
  config: SwimConfigView
  name: string
  peers: SwimPeers
  /** "ip:port" we advertise, once bound ('' while binding or failed). */
  address: string
  /** Why the transport could not be opened (state `failed`). */
  bindError: WireError | undefined
  /** Why the input's config was refused (state `failed`; the context then holds the LAN defaults). */
  configError: WireError | undefined
  /** Requests received while binding or starting, replayed once running (at most MAX_HELD). */
  held: SwimInbound[]
  /** Requests that found the hold full before start: refused, counted. */
  heldOverflow: number
  /** Messages no node could handle (packets or timers while binding, anything while failed): counted. */
  refused: number
  /** Mirrors of the logic's state, refreshed after every packet and timer (for inspection). */
  incarnation: number
  healthScore: number
  numNodes: number
  /** Messages to peers that found no receiver (unknown, stopped or rejected): counted, not retried. */
  undelivered: number
  /** `gossip.fill` asks that failed or timed out: the packet went without piggybacked broadcasts. */
  fillFailures: number
  /** `member.local-state` asks that failed or timed out: the push/pull went with empty user state. */
  localStateFailures: number
  /** `member.local-meta` asks at start that failed or timed out: started with the Meta known before. */
  localMetaFailures: number
  /**
   * A copy of the node's counters (actors/swim/counters.ts): every refused packet (e.g.
   * packetsUndecryptable: no key opened it), send outcome, stream past its deadline or byte cap,
   * probe and suspicion. All zero until the node runs.
   */
  counters: SwimCountersView
  /** How the node changes went to member-manager (member-feed.ts); set once the node runs. */
  memberFeed?: MemberFeedStats
}

/** The counters as plain data (what crosses threads in a snapshot). */
export type SwimCountersView = { [K in keyof SwimCounters]: SwimCounters[K] }

/** Requests kept while binding. Control traffic (join, meta, reconnect, leave) is rare: 64 is ample. */
export const MAX_HELD = 64

/**
 * The swim actor's input (what a spawn passes, structured-cloned into a worker) and its context
 * (plain data the runtime copies for snapshots and inspection), apart from the statechart.
 */
import type { WireError } from '../../src/errors/index.ts'
import type { SwimConfig, SwimInit, SwimPreset } from './config.ts'
import type { SwimInbound, SwimPeers } from './protocol.ts'
import type { SwimCountersView } from './counters.ts'
import type { JitterStream, JoinRetryView } from './join-retry.ts'
import type { MemberFeedStats } from './member-feed.ts'
import type { LeaseView } from './piggyback.ts'
import type { RunnerCounts } from './runner-counts.ts'

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
  /**
   * Addresses to join once running: "host:port", "[v6]:port", or "host" / a bare IPv6 for port
   * swim.bindPort (7946), as memberlist and Serf read them (join-address.ts); a bad one fails the
   * actor's config (`configError` naming swim.join[i]). One attempt, as Serf's start_join: one that
   * reaches no one is counted (joinFailures) and kept with its reasons (lastJoinError);
   * config.retryJoin retries. After a restart from the snapshot they are joined again with the
   * members known before.
   */
  join?: string[]
}

/** swim's config as the context shows it: the keyring as its key count only. */
export type SwimConfigView = Omit<SwimConfig, 'keyring'> & { keyring: { keys: number } | null }

export function redactKeys(config: SwimConfig): SwimConfigView {
  return { ...config, keyring: config.keyring === null ? null : { keys: config.keyring.keys.length } }
}

/**
 * RunnerCounts (runner-counts.ts): the counters the runner keeps around the core (undelivered
 * messages, failed asks, joins, Serf and Gossamer routing, keyring changes), declared there once.
 */
export interface SwimContext extends RunnerCounts {
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
  /**
   * The "ip:port" the transport is bound to ('' until bound). Persisted, with `advertisedPort`: a
   * restart in a new thread binds there again (never a new port, whatever the input's port).
   */
  bound: string
  /** The port we advertise (the input's, or the bound one for port 0); 0 until bound. */
  advertisedPort: number
  /**
   * Addresses of up to MAX_KNOWN_PEERS members alive when the table last changed (kept when the
   * table has none). Persisted: a restart from the snapshot rejoins them (`joinRetry` 'rejoin').
   */
  knownPeers: string[]
  /**
   * Starts from the persisted snapshot (`runtime.restored`): supervised restarts after a crash or a
   * thread death, and spawns that found a stored snapshot. 0 for a fresh start.
   */
  restores: number
  /** The last join that reached no one (ERR_SWIM_JOIN, each address's reason); see joinFailures. */
  lastJoinError: WireError | undefined
  /** Serf's retry-join (config.retryJoin), or the rejoin after a restart: where it stands (join-retry.ts). */
  joinRetry: JoinRetryView
  /** The seeded stream of the retries' jitter (join-retry.ts); null until the first retry is scheduled. */
  retryJitter: JitterStream | null
  /**
   * The Meta last given to the node (at start, or member-manager's change): a start whose
   * `member.local-meta` ask fails goes on with it (else with the input's). Persisted.
   */
  knownMeta: Uint8Array | undefined
  /** The transport's stream limits and the inbound byte budget at work (refusals counted here). */
  streams: SwimStreamsView
  /** The core's state (swim-core.ts SwimCoreState), as the last step returned it. Persisted: a restart starts above this incarnation. */
  incarnation: number
  healthScore: number
  numNodes: number
  /**
   * The piggyback lease (piggyback.ts): its epoch and version, the entries held, the report
   * numbering, the sends not yet reported and the reports not yet applied, and its counters
   * (leases taken, stale ones ignored, packets starved, parts piggybacked, reports sent). Persisted
   * without the entries' bytes: a restore numbers its reports on and replays what it sent.
   */
  lease: LeaseView
  /**
   * The live keyring, primary first, once a `swim.keyring` operation changed it (undefined before:
   * the config's keys are used). Persisted, so a restart keeps the rotated ring.
   */
  liveKeys: Uint8Array[] | undefined
  /**
   * The core's counters (actors/swim/counters.ts), as the last step returned them: every refused packet (e.g.
   * packetsUndecryptable: no key opened it), send outcome, stream past its deadline or byte cap,
   * probe and suspicion. All zero until the node runs.
   */
  counters: SwimCountersView
  /** How the node changes went to member-manager (member-feed.ts); set once the node runs. */
  memberFeed?: MemberFeedStats
}

/** Streams as the transport and the inbound byte budget see them (cumulative across restarts). */
export interface SwimStreamsView {
  /** Inbound connections closed at accept: over config.maxInboundStreams, before the node ran, or while closing. */
  refusedAtAccept: number
  /** Streams aborted after config.streamIdleTimeoutMs without a byte. */
  idleTimeouts: number
  /** Streams aborted at their deadline (tcpTimeoutMs; 2 × tcpTimeoutMs for push/pulls we start). */
  deadlinesExpired: number
  /** Inbound streams open now. */
  inboundOpen: number
  /** Bytes inbound reads hold now against config.streamBufferBudgetBytes, and the most at once. */
  bufferedBytes: number
  peakBufferedBytes: number
}

export const NO_STREAMS: SwimStreamsView = Object.freeze({ refusedAtAccept: 0, idleTimeouts: 0, deadlinesExpired: 0, inboundOpen: 0, bufferedBytes: 0, peakBufferedBytes: 0 })

export type { SwimCountersView } from './counters.ts'

/** Requests kept while binding. Control traffic (join, meta, reconnect, leave) is rare: 64 is ample. */
export const MAX_HELD = 64
/** Member addresses kept for a rejoin after a restart: one reachable is enough, a few cover some dead ones. */
export const MAX_KNOWN_PEERS = 16

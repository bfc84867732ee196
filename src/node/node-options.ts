/**
 * What `createNode(options)` takes: the node's options and their coordination and inspection parts,
 * as types (checked and defaulted in one place, config.ts). api.ts re-exports them with the rest of
 * the public API.
 */
/**
 * `createNode(options)`: everything a node needs, validated in one place (src/node/config.ts) with
 * errors that name the field (`ERR_INVALID_CONFIG`, `details.field`). Names follow Serf's agent
 * flags where one exists (serf-rpc.md 6.1).
 */
export interface NodeOptions {
  /** Node name; unique in the cluster. Default: the host name. */
  name?: string
  /** Gossip bind "ip:port" (TCP and UDP); port 0 picks a free one. Default "0.0.0.0:7946". */
  bind?: string
  /** Address other nodes use to reach this one, when it differs from the bind address. */
  advertise?: string
  /** memberlist timing profile. Default 'lan'. */
  profile?: 'lan' | 'wan' | 'local'
  /**
   * Serf's protocol version (2-5), as `serf agent -protocol`: it sets the tag encoding and the
   * delegate version; memberlist itself runs at 2, as Serf maps every version. Default 5 (the agent's).
   */
  protocol?: number
  /** Tags gossiped with this node (encoded at most 512 bytes). */
  tags?: Readonly<Record<string, string>>
  /** Addresses to join at start: resolves when at least one is reached, rejects ERR_JOIN_FAILED if none. */
  join?: readonly string[]
  /** Keep trying these in the background until one join succeeds (Serf's retry-join). */
  retryJoin?: { addresses: readonly string[]; intervalMs?: number; maxAttempts?: number }
  /** Replay user events older than the join (Serf's -replay). Default false. */
  replay?: boolean
  /** Encryption keys, base64 (16, 24 or 32 bytes each); the first is the primary. */
  keys?: readonly string[]
  /** A Serf keyring file (JSON array of base64 keys): read at start, rewritten on every key change. */
  keyringFile?: string
  /** Snapshot file path (Serf's -snapshot): members, clocks, and rejoin after restart. */
  snapshotPath?: string
  /** Rejoin the cluster after a graceful leave, from the snapshot (Serf's -rejoin). Default false. */
  rejoinAfterLeave?: boolean
  /** 'workers' (default): every actor in its own worker thread; 'inline': all in this thread. */
  placement?: 'workers' | 'inline'
  /**
   * A folder where the actors' threads keep V8's compiled code between starts, so a restarted node
   * does not compile again what it ran before (the first join's code above all). Used only when the
   * actors run from the built package's bundles in worker threads. Created 0700, and not used when
   * another user owns it or others can write to it. Default false (none); `gossamer agent` uses
   * `~/.cache/gossamer/code-cache` unless `-code-cache=off`.
   */
  codeCache?: string | false
  /** Coalesce member events (3 s / 1 s quiescent) and coalescing user events. Default true, as the agent. */
  coalesce?: { members?: boolean; userEvents?: boolean }
  /** pino level for the node's own logs. Default 'info'. */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'
  /**
   * The lowest level the node and its actors log at for `logs()` (Serf's monitor), apart from what
   * it prints (`logLevel`): `gossamer agent` runs its node silent and reads every line at 'trace',
   * printing them itself at `-log-level`. Default: `logLevel`, or 'info' for a silent node.
   */
  logRingLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error'
  /** Graceful leave: how long to wait for the leave to spread (ms). Default 5000. */
  leaveTimeoutMs?: number
  /** How often a reconnect to a failed member is attempted (ms). Serf's ReconnectInterval, default 30000. */
  reconnectIntervalMs?: number
  /** A failed member is reaped (member-reap) after this long (ms). Serf's ReconnectTimeout, default 86400000 (24 h). */
  reconnectTimeoutMs?: number
  /** A left member is reaped after this long (ms). Serf's TombstoneTimeout, default 86400000 (24 h). */
  tombstoneTimeoutMs?: number
  /**
   * On a name conflict about this node, ask the cluster (`_serf_conflict`) and leave if we lose.
   * Serf's EnableNameConflictResolution (the agent's `!disable_name_resolution`), default true.
   */
  nameConflictResolution?: boolean
  /** Compress packets when smaller, and streams (memberlist's EnableCompression). Default true. */
  compression?: boolean
  /** Largest encoded query this node sends (bytes). Serf's QuerySizeLimit, default 1024. */
  querySizeLimit?: number
  /** Largest encoded query response this node sends (bytes). Serf's QueryResponseSizeLimit, default 1024. */
  queryResponseSizeLimit?: number
  /** Largest user event, len(name) + len(payload) (bytes). Serf's UserEventSizeLimit, default 512, at most 9216. */
  userEventSizeLimit?: number
  /** Partition detector, election and assignment (issue 14); absent: none of those actors runs. */
  coordination?: CoordinationOptions
  /** The live inspector page (issue 15); absent: no page, and inspection costs nothing. */
  inspect?: InspectOptions
}

/** createNode's `coordination`: the partition-detector, election and assignment actors. */
export interface CoordinationOptions {
  /** Expected cluster size; default: the high-water mark of alive members (persisted with the snapshot). */
  expectedSize?: number
  /** 'membership' (default: majority leases over the cluster's own messages) or 'nats' (JetStream KV). */
  backend?: 'membership' | 'nats'
  /** For 'nats': servers ("host:port"), the KV bucket, and the lease (ms, the bucket's max age). */
  nats?: { servers: readonly string[]; bucket?: string; leaseMs?: number }
  /**
   * The leader's calculator timing (ms; defaults are parti's: cold start 30 s, planned scale 10 s,
   * restart 10 s, emergency grace 3 s, min rebalance interval 10 s).
   */
  assignment?: AssignmentTiming
}

/** `coordination.assignment`: the calculator's windows (ms) and its per-round move cap. */
export interface AssignmentTiming {
  coldStartWindowMs?: number
  plannedScaleWindowMs?: number
  restartWindowMs?: number
  emergencyGraceMs?: number
  minRebalanceIntervalMs?: number
  /**
   * Voluntary moves per rebalance round, as a fraction of the partitions (0 < f <= 1; default 0.1,
   * parti's): a larger change goes out in several rounds. Orphans (a gone worker's) always move at once.
   */
  maxMovesFraction?: number
  /** An absolute bound on the same (0, the default: only the fraction). */
  maxMovesPerRound?: number
}

/** createNode's `inspect`: serve the live statechart page. */
export interface InspectOptions {
  /** "ip:port" to listen on; port 0 picks a free one. Loopback only unless allowRemote. */
  addr: string
  /** Allow a non-loopback address (the page shows the cluster's members and state to anyone who can reach it). */
  allowRemote?: boolean
}

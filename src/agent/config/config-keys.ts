/**
 * Every key a `serf agent` config file may hold (serf-rpc.md 6.1 and 6.2), with its type, plus our
 * own (`placement`, `metrics_addr`, `handler_timeout`, `handler_queue`, `tiering`). The command line is
 * turned into the same shape, so files and flags merge by one rule (merge.ts).
 */

export type KeyType = 'string' | 'int' | 'bool' | 'duration' | 'tags' | 'list'

export const CONFIG_KEYS = {
  node_name: 'string',
  role: 'string',
  disable_coordinates: 'bool',
  tags: 'tags',
  tags_file: 'string',
  bind: 'string',
  advertise: 'string',
  discover: 'string',
  interface: 'string',
  encrypt_key: 'string',
  keyring_file: 'string',
  log_level: 'string',
  rpc_addr: 'string',
  rpc_auth: 'string',
  protocol: 'int',
  replay_on_join: 'bool',
  query_response_size_limit: 'int',
  query_size_limit: 'int',
  user_event_size_limit: 'int',
  start_join: 'list',
  event_handlers: 'list',
  profile: 'string',
  snapshot_path: 'string',
  leave_on_terminate: 'bool',
  skip_leave_on_interrupt: 'bool',
  reconnect_interval: 'duration',
  reconnect_timeout: 'duration',
  tombstone_timeout: 'duration',
  disable_name_resolution: 'bool',
  enable_syslog: 'bool',
  syslog_facility: 'string',
  retry_join: 'list',
  retry_max_attempts: 'int',
  retry_interval: 'duration',
  rejoin_after_leave: 'bool',
  enable_compression: 'bool',
  statsite_addr: 'string',
  statsd_addr: 'string',
  broadcast_timeout: 'duration',
  validate_node_names: 'bool',
  // Ours, not Serf's:
  /** 'workers' (every actor in its own thread) or 'inline'. */
  placement: 'string',
  /** host:port of the Prometheus endpoint; unset: none. */
  metrics_addr: 'string',
  /** Deadline of a non-query event handler run (Serf has none); a query handler's is the query's deadline. */
  handler_timeout: 'duration',
  /** Events waiting for the handlers; past it new events are dropped and counted. */
  handler_queue: 'int',
  /** 'auto' (TurboFan off while the agent idles, src/agent/tiering.ts) or 'off' (V8's own tiering). */
  tiering: 'string',
  /** 'on' (a full GC every 10 s while the heap is under 64 MB, src/agent/idle-gc.ts) or 'off'. */
  idle_gc: 'string',
  /** The actors' code cache folder (default ~/.cache/gossamer/code-cache) or 'off' (src/runtime/code-cache/). */
  code_cache: 'string',
  // Coordination (coordination.ts): the election backend, nats, expected size, worker groups.
  election: 'string',
  nats_servers: 'list',
  nats_bucket: 'string',
  election_lease: 'duration',
  expect: 'int',
  assign: 'list',
  assign_window: 'duration',
  /** ip:port of the live inspector page; unset: none. Loopback only unless ui_allow_remote. */
  ui_addr: 'string',
  ui_allow_remote: 'bool',
} as const satisfies Record<string, KeyType>

export type ConfigKey = keyof typeof CONFIG_KEYS

type ValueOf<T extends KeyType> = T extends 'string'
  ? string
  : T extends 'int'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'duration'
        ? number
        : T extends 'tags'
          ? Record<string, string>
          : string[]

/** A partial config as a file or the command line gives it; durations already in ms. */
export type RawConfig = { -readonly [K in ConfigKey]?: ValueOf<(typeof CONFIG_KEYS)[K]> }

/** Booleans that a later source can only switch on (Serf's MergeConfig). */
export const ON_ONLY_BOOLS: ReadonlySet<ConfigKey> = new Set([
  'disable_coordinates',
  'replay_on_join',
  'leave_on_terminate',
  'skip_leave_on_interrupt',
  'disable_name_resolution',
  'enable_syslog',
  'rejoin_after_leave',
  'validate_node_names',
])

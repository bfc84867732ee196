/**
 * The agent's one validated config: Serf's defaults, the files and the command line merged
 * (serf-rpc.md 6.3), then the fix-ups (host name as node name, role into tags, minimum intervals)
 * and the checks whose texts Serf prints (6.4). `createAgentConfig` is the only place a config is
 * made; everything after it reads `AgentConfig`, where every field is set.
 */
import { AgentConfigError } from '../errors.ts'
import { invalidScript, parseEventScript } from '../handlers/event-script.ts'
import type { EventScript } from '../handlers/event-script.ts'
import type { RawConfig } from './config-keys.ts'
import { mergeConfig } from './merge.ts'
import { agentCoordinationOf, type AgentAssign } from './coordination.ts'
import type { CoordinationOptions } from '../../node/api.ts'
import { ClusterError } from '../../errors/index.ts'
import { resolveLiveConfig } from '../../inspect/live/live-config.ts'
import { TIERING_MODES, type TieringMode } from '../tiering.ts'
import { defaultCodeCacheDir } from '../../runtime/code-cache/cache-dir.ts'

export const SERF_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERR'] as const
export type SerfLogLevel = (typeof SERF_LOG_LEVELS)[number]

/** Serf's DefaultConfig, plus ours. */
export const DEFAULT_AGENT_CONFIG: RawConfig = {
  bind: '0.0.0.0',
  log_level: 'INFO',
  rpc_addr: '127.0.0.1:7373',
  /** serf.ProtocolVersionMax: the agent speaks the newest Serf protocol. */
  protocol: 5,
  profile: 'lan',
  /** Between retry-join attempts. */
  retry_interval: 30_000,
  syslog_facility: 'LOCAL0',
  query_response_size_limit: 1024,
  query_size_limit: 1024,
  user_event_size_limit: 512,
  /** How long a leave's broadcast may take. */
  broadcast_timeout: 5_000,
  enable_compression: true,
  placement: 'workers',
  /** Ours: a member/user event handler run is killed after this (Serf never kills one). */
  handler_timeout: 30_000,
  /** Ours: events waiting for the handlers before new ones are dropped (counted); Serf's stream buffer. */
  handler_queue: 512,
  /** Ours: TurboFan off while the agent idles (tiering.ts). */
  tiering: 'auto',
  /** Ours: a full garbage collection every 10 s while the heap is small (idle-gc.ts). */
  idle_gc: 'on',
}

/** Serf's default gossip port, also the port an advertise address without one gets. */
export const DEFAULT_GOSSIP_PORT = 7946
/** Serf refuses user_event_size_limit above this (bytes). */
export const USER_EVENT_SIZE_HARD_LIMIT = 9216
/** Minimum retry and broadcast intervals (ms); lower values are raised with a warning. */
const MIN_INTERVAL_MS = 1000

export interface AgentConfig {
  nodeName: string
  tags: Record<string, string>
  tagsFile: string | undefined
  /** `host:port`, port filled in. */
  bind: string
  advertise: string | undefined
  encryptKey: string | undefined
  keyringFile: string | undefined
  logLevel: SerfLogLevel
  rpcAddr: string
  rpcAuth: string
  protocol: number
  replayOnJoin: boolean
  queryResponseSizeLimit: number
  querySizeLimit: number
  userEventSizeLimit: number
  startJoin: string[]
  /** The raw specs, in order (for SIGHUP and banners). */
  eventHandlerSpecs: string[]
  /** Parsed and valid. */
  eventScripts: EventScript[]
  profile: 'lan' | 'wan' | 'local'
  snapshotPath: string | undefined
  leaveOnTerminate: boolean
  skipLeaveOnInterrupt: boolean
  retryJoin: string[]
  retryMaxAttempts: number
  retryIntervalMs: number
  rejoinAfterLeave: boolean
  enableCompression: boolean
  broadcastTimeoutMs: number
  placement: 'workers' | 'inline'
  /** V8's optimizing compiler: `auto` off while the agent idles, `off` no such policy (tiering.ts). */
  tiering: TieringMode
  /** The idle agent's periodic full collection (idle-gc.ts): `on` (default) or `off`. */
  idleGc: 'on' | 'off'
  /** The actors' code cache folder (src/runtime/code-cache/); undefined: `-code-cache=off`. */
  codeCache: string | undefined
  metricsAddr: string | undefined
  /** The live page's ip:port (`-ui-addr`) and whether a non-loopback one is allowed (`-ui-allow-remote`). */
  uiAddr: string | undefined
  uiAllowRemote: boolean
  /** Serf's reconnect_interval, reconnect_timeout, tombstone_timeout (ms); undefined (0 or absent): the node's default. */
  reconnectIntervalMs: number | undefined
  reconnectTimeoutMs: number | undefined
  tombstoneTimeoutMs: number | undefined
  /** Serf's disable_name_resolution: a name conflict about us is only logged, no `_serf_conflict` query. */
  disableNameResolution: boolean
  handlerTimeoutMs: number
  handlerQueue: number
  /** Whether `role` was set (with a tags file that is an error at setup). */
  roleGiven: boolean
  /** Whether any tag came from the config (not the tags file). */
  tagsGiven: boolean
  /** Ours: createNode's coordination (-election ...), undefined: off; the groups this agent works in (-assign). */
  coordination: CoordinationOptions | undefined
  assign: AgentAssign[]
}

export interface ConfigResult {
  config: AgentConfig
  /** Printed as `==> <warning>` and startup goes on. */
  warnings: string[]
}

/** `host[:port]` split as Go's net.SplitHostPort after adding the default port when none is given. */
export function splitHostPort(text: string, defaultPort: number): { host: string; port: number } | string {
  let host: string
  let portText: string
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(text)
  if (bracket !== null) {
    host = bracket[1]!
    portText = bracket[2] ?? String(defaultPort)
  } else {
    const colons = text.split(':').length - 1
    if (colons === 0) {
      host = text
      portText = String(defaultPort)
    } else if (colons === 1) {
      const i = text.indexOf(':')
      host = text.slice(0, i)
      portText = text.slice(i + 1)
    } else {
      // A bare IPv6 address: memberlist-style, the whole text is the host.
      host = text
      portText = String(defaultPort)
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return `address ${text}: invalid port`
  return { host, port: Number(portText) }
}

const joinHostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)

/**
 * Defaults, then `files` (already merged in order), then `flags`; fix-ups; checks.
 * `hostname` is the node name when none is set; `defaultCodeCache` gives the code cache's folder
 * when none is configured (XDG's cache home).
 */
export function createAgentConfig(files: RawConfig, flags: RawConfig, hostname: string, defaultCodeCache: () => string = defaultCodeCacheDir): ConfigResult {
  const raw = mergeConfig(mergeConfig(DEFAULT_AGENT_CONFIG, files), flags)
  const warnings: string[] = []
  const tags: Record<string, string> = { ...(raw.tags ?? {}) }
  const roleGiven = (raw.role ?? '') !== ''
  if (roleGiven) {
    warnings.push("Deprecation warning: 'Role' has been replaced with 'Tags'")
    tags['role'] = raw.role!
  }

  const specs = raw.event_handlers ?? []
  const eventScripts = specs.flatMap(parseEventScript)
  const bad = invalidScript(eventScripts)
  if (bad !== undefined) throw new AgentConfigError(bad, 'event_handlers')

  let retryIntervalMs = raw.retry_interval!
  if (retryIntervalMs < MIN_INTERVAL_MS) {
    warnings.push("Warning: 'RetryInterval' is too low. Setting to 1s")
    retryIntervalMs = MIN_INTERVAL_MS
  }
  let broadcastTimeoutMs = raw.broadcast_timeout!
  if (broadcastTimeoutMs < MIN_INTERVAL_MS) {
    warnings.push("Warning: 'BroadcastTimeout' is too low. Setting to 1s")
    broadcastTimeoutMs = MIN_INTERVAL_MS
  }
  if (raw.rejoin_after_leave === true && (raw.snapshot_path ?? '') === '') {
    warnings.push("Warning: 'RejoinAfterLeave' enabled without snapshot file")
  }

  const level = raw.log_level!.toUpperCase()
  if (!(SERF_LOG_LEVELS as readonly string[]).includes(level)) {
    throw new AgentConfigError(`Invalid log level: ${level}. Valid log levels are: [${SERF_LOG_LEVELS.join(' ')}]`, 'log_level')
  }
  const profile = raw.profile!
  if (profile !== 'lan' && profile !== 'wan' && profile !== 'local') throw new AgentConfigError(`Unknown profile: ${profile}`, 'profile')

  const bind = splitHostPort(raw.bind!, DEFAULT_GOSSIP_PORT)
  if (typeof bind === 'string') throw new AgentConfigError(`Invalid bind address: ${bind}`, 'bind')
  let advertise: string | undefined
  if ((raw.advertise ?? '') !== '') {
    const a = splitHostPort(raw.advertise!, DEFAULT_GOSSIP_PORT)
    if (typeof a === 'string') throw new AgentConfigError(`Invalid advertise address: ${a}`, 'advertise')
    advertise = joinHostPort(a.host, a.port)
  }
  const encryptKey = (raw.encrypt_key ?? '') === '' ? undefined : raw.encrypt_key!
  if (encryptKey !== undefined) {
    const err = base64Error(encryptKey)
    if (err !== undefined) throw new AgentConfigError(`Invalid encryption key: ${err}`, 'encrypt_key')
  }

  const placement = raw.placement!
  if (placement !== 'workers' && placement !== 'inline') {
    throw new AgentConfigError(`Invalid placement: ${placement}. Valid placements are: [workers inline]`, 'placement')
  }
  const tiering = raw.tiering!
  if (!(TIERING_MODES as readonly string[]).includes(tiering)) {
    throw new AgentConfigError(`Invalid tiering: ${tiering}. Valid values are: [${TIERING_MODES.join(' ')}]`, 'tiering')
  }
  const idleGc = raw.idle_gc!
  if (idleGc !== 'on' && idleGc !== 'off') {
    throw new AgentConfigError(`Invalid idle-gc: ${idleGc}. Valid values are: [on off]`, 'idle_gc')
  }
  const codeCache = (raw.code_cache ?? '') === '' ? defaultCodeCache() : raw.code_cache === 'off' ? undefined : raw.code_cache!
  let metricsAddr: string | undefined
  if ((raw.metrics_addr ?? '') !== '') {
    const m = splitHostPort(raw.metrics_addr!, 0)
    if (typeof m === 'string' || !raw.metrics_addr!.includes(':')) {
      throw new AgentConfigError(`Invalid metrics address: ${typeof m === 'string' ? m : `address ${raw.metrics_addr}: missing port in address`}`, 'metrics_addr')
    }
    metricsAddr = joinHostPort(m.host, m.port)
  }
  for (const key of ['discover', 'interface', 'statsite_addr', 'statsd_addr'] as const) {
    if ((raw[key] ?? '') !== '') throw new AgentConfigError(`Config key '${key}' is not supported by gossamer agent`, key)
  }
  // Swim's Vivaldi coordinates have no off switch; Serf 0.9.x accepts the key and never applies it.
  // Refused rather than ignored, so a config that relies on it does not silently run with coordinates.
  if (raw.disable_coordinates === true) throw new AgentConfigError(`Config key 'disable_coordinates' is not supported by gossamer agent`, 'disable_coordinates')
  for (const key of ['reconnect_interval', 'reconnect_timeout', 'tombstone_timeout'] as const) {
    if ((raw[key] ?? 0) < 0) throw new AgentConfigError(`Invalid ${key}: must not be negative`, key)
  }
  if (raw.enable_syslog === true) throw new AgentConfigError(`Config key 'enable_syslog' is not supported by gossamer agent`, 'enable_syslog')
  if (raw.handler_queue! < 1) throw new AgentConfigError(`Invalid handler_queue: ${raw.handler_queue}. Must be at least 1`, 'handler_queue')
  if (raw.handler_timeout! <= 0) throw new AgentConfigError(`Invalid handler_timeout: must be positive`, 'handler_timeout')

  const config: AgentConfig = {
    nodeName: (raw.node_name ?? '') === '' ? hostname : raw.node_name!,
    tags,
    tagsFile: (raw.tags_file ?? '') === '' ? undefined : raw.tags_file!,
    bind: joinHostPort(bind.host, bind.port),
    advertise,
    encryptKey,
    keyringFile: (raw.keyring_file ?? '') === '' ? undefined : raw.keyring_file!,
    logLevel: level as SerfLogLevel,
    rpcAddr: raw.rpc_addr!,
    rpcAuth: raw.rpc_auth ?? '',
    protocol: raw.protocol!,
    replayOnJoin: raw.replay_on_join === true,
    queryResponseSizeLimit: raw.query_response_size_limit!,
    querySizeLimit: raw.query_size_limit!,
    userEventSizeLimit: raw.user_event_size_limit!,
    startJoin: raw.start_join ?? [],
    eventHandlerSpecs: specs,
    eventScripts,
    profile,
    snapshotPath: (raw.snapshot_path ?? '') === '' ? undefined : raw.snapshot_path!,
    leaveOnTerminate: raw.leave_on_terminate === true,
    skipLeaveOnInterrupt: raw.skip_leave_on_interrupt === true,
    retryJoin: raw.retry_join ?? [],
    retryMaxAttempts: raw.retry_max_attempts ?? 0,
    retryIntervalMs,
    rejoinAfterLeave: raw.rejoin_after_leave === true,
    enableCompression: raw.enable_compression !== false,
    broadcastTimeoutMs,
    placement,
    tiering: tiering as TieringMode,
    idleGc,
    codeCache,
    metricsAddr,
    ...uiAddrOf(raw),
    // Serf applies each only when non-zero; the interval arms a timer, so whole ms (at least 1).
    reconnectIntervalMs: (raw.reconnect_interval ?? 0) === 0 ? undefined : Math.max(1, Math.ceil(raw.reconnect_interval!)),
    reconnectTimeoutMs: (raw.reconnect_timeout ?? 0) === 0 ? undefined : raw.reconnect_timeout!,
    tombstoneTimeoutMs: (raw.tombstone_timeout ?? 0) === 0 ? undefined : raw.tombstone_timeout!,
    disableNameResolution: raw.disable_name_resolution === true,
    handlerTimeoutMs: raw.handler_timeout!,
    handlerQueue: raw.handler_queue!,
    roleGiven,
    tagsGiven: Object.keys(raw.tags ?? {}).length > 0,
    ...agentCoordinationOf(raw),
  }
  return { config, warnings }
}

/**
 * Checks made when the agent is set up and Serf is created (printed after `Starting Serf agent...`,
 * with Serf's `Failed to start the Serf agent: Error creating Serf: ` prefix).
 */
export function serfCreateError(config: AgentConfig): string | undefined {
  if (config.protocol < 2) return `Protocol version '${config.protocol}' too low. Must be in range: [2, 5]`
  if (config.protocol > 5) return `Protocol version '${config.protocol}' too high. Must be in range: [2, 5]`
  if (config.userEventSizeLimit > USER_EVENT_SIZE_HARD_LIMIT) return `user event size limit exceeds limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes`
  if (config.encryptKey !== undefined) {
    const n = Buffer.from(config.encryptKey, 'base64').length
    if (n !== 16 && n !== 24 && n !== 32) return 'key size must be 16, 24 or 32 bytes'
  }
  return undefined
}

/**
 * Go's base64.StdEncoding decoding, for its error only: the offset Go reports in
 * `illegal base64 data at input byte N` (padding required, newlines skipped, nothing after it).
 */
export function base64Error(src: string): string | undefined {
  const err = (at: number): string => `illegal base64 data at input byte ${at}`
  const isNewline = (c: string | undefined): boolean => c === '\n' || c === '\r'
  const isAlphabet = (c: string): boolean => /^[A-Za-z0-9+/]$/.test(c)
  let si = 0
  while (si < src.length) {
    for (let j = 0; j < 4; j++) {
      if (si === src.length) return j === 0 ? undefined : err(si - j)
      const c = src[si++]!
      if (isAlphabet(c)) continue
      if (isNewline(c)) {
        j--
        continue
      }
      if (c !== '=' || j < 2) return err(si - 1)
      if (j === 2) {
        // "==" expected: the first "=" is consumed.
        while (isNewline(src[si])) si++
        if (si === src.length) return err(src.length)
        if (src[si] !== '=') return err(si - 1)
        si++
      }
      while (isNewline(src[si])) si++
      return si < src.length ? err(si) : undefined
    }
  }
  return undefined
}

export { joinHostPort }

/** `-ui-addr` / `ui_addr`: "ip:port", loopback unless `-ui-allow-remote` (the page shows the cluster to whoever reaches it). */
function uiAddrOf(raw: RawConfig): { uiAddr: string | undefined; uiAllowRemote: boolean } {
  const uiAllowRemote = raw.ui_allow_remote === true
  if ((raw.ui_addr ?? '') === '') return { uiAddr: undefined, uiAllowRemote }
  try {
    resolveLiveConfig({ addr: raw.ui_addr, allowRemote: uiAllowRemote })
  } catch (err) {
    const why = err instanceof ClusterError && err.code === 'ERR_INSPECT_REMOTE_REFUSED' ? 'not a loopback address (add -ui-allow-remote to serve the page there)' : 'must be ip:port'
    throw new AgentConfigError(`Invalid UI address: ${raw.ui_addr}: ${why}`, 'ui_addr')
  }
  return { uiAddr: raw.ui_addr, uiAllowRemote }
}

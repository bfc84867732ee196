/**
 * `gossamer agent`'s flags (serf-rpc.md 6.1) and their config keys: the command line becomes a
 * RawConfig that merges over the files last. Ours beyond Serf's: `-placement`, `-metrics-addr`, `-ui-addr`, `-ui-allow-remote`,
 * `-handler-timeout`, `-tiering`, `-idle-gc`, `-code-cache`, and `-rpc-auth` (Serf has the key `rpc_auth` only in files).
 */
import { AgentConfigError, AgentFlagError } from '../errors.ts'
import type { RawConfig } from './config-keys.ts'
import { parseGoDuration } from '../../cli/go-duration.ts'
import { FlagError, parseGoFlags } from '../../cli/go-flags.ts'
import type { FlagDef } from '../../cli/go-flags.ts'

/** Flag name -> how it parses; `config-file` and `config-dir` share one ordered list (as in Serf). */
export const AGENT_FLAGS: Readonly<Record<string, FlagDef>> = {
  advertise: { kind: 'string' },
  bind: { kind: 'string' },
  'broadcast-timeout': { kind: 'string' },
  'config-dir': { kind: 'list' },
  'config-file': { kind: 'list' },
  'disable-compression': { kind: 'bool' },
  encrypt: { kind: 'string' },
  'event-handler': { kind: 'list' },
  'handler-timeout': { kind: 'string' },
  join: { kind: 'list' },
  'keyring-file': { kind: 'string' },
  'log-level': { kind: 'string' },
  'metrics-addr': { kind: 'string' },
  node: { kind: 'string' },
  placement: { kind: 'string' },
  profile: { kind: 'string' },
  protocol: { kind: 'int' },
  rejoin: { kind: 'bool' },
  replay: { kind: 'bool' },
  'retry-interval': { kind: 'string' },
  'retry-join': { kind: 'list' },
  'retry-max': { kind: 'int' },
  role: { kind: 'string' },
  'rpc-addr': { kind: 'string' },
  'rpc-auth': { kind: 'string' },
  snapshot: { kind: 'string' },
  tag: { kind: 'list' },
  'tags-file': { kind: 'string' },
  tiering: { kind: 'string' },
  'idle-gc': { kind: 'string' },
  'code-cache': { kind: 'string' },
  // Coordination (config/coordination.ts).
  assign: { kind: 'list' },
  'assign-window': { kind: 'string' },
  election: { kind: 'string' },
  'election-lease': { kind: 'string' },
  expect: { kind: 'int' },
  'nats-bucket': { kind: 'string' },
  'nats-server': { kind: 'list' },
  'ui-addr': { kind: 'string' },
  'ui-allow-remote': { kind: 'bool' },
}

const STRING_KEYS: Readonly<Record<string, keyof RawConfig>> = {
  advertise: 'advertise',
  bind: 'bind',
  encrypt: 'encrypt_key',
  'keyring-file': 'keyring_file',
  'log-level': 'log_level',
  'metrics-addr': 'metrics_addr',
  node: 'node_name',
  placement: 'placement',
  profile: 'profile',
  role: 'role',
  'rpc-addr': 'rpc_addr',
  'rpc-auth': 'rpc_auth',
  snapshot: 'snapshot_path',
  'tags-file': 'tags_file',
  tiering: 'tiering',
  'idle-gc': 'idle_gc',
  'code-cache': 'code_cache',
  election: 'election',
  'nats-bucket': 'nats_bucket',
  'ui-addr': 'ui_addr',
}

export interface CommandLine {
  /** The flags as a config (merged over the files last). */
  config: RawConfig
  /** `-config-file` / `-config-dir` paths in command-line order. */
  configPaths: string[]
  help: boolean
}

/** Parses argv; throws AgentFlagError (Go's texts) or AgentConfigError (`Error: Invalid tag: 'x'`). */
export function parseAgentCommandLine(argv: readonly string[]): CommandLine {
  let parsed
  try {
    parsed = parseGoFlags(argv, AGENT_FLAGS)
  } catch (err) {
    // The agent's own code, so a startup script can tell a bad flag from a bad config file.
    if (err instanceof FlagError) throw new AgentFlagError(err.message)
    throw err
  }
  const v = parsed.given
  const config: RawConfig = {}
  for (const [flag, key] of Object.entries(STRING_KEYS)) {
    const value = v.get(flag)
    if (typeof value === 'string') (config as Record<string, unknown>)[key] = value
  }
  const list = (name: string): string[] => (v.get(name) as string[] | undefined) ?? []
  if (v.has('join')) config.start_join = list('join')
  if (v.has('retry-join')) config.retry_join = list('retry-join')
  if (v.has('event-handler')) config.event_handlers = list('event-handler')
  if (v.has('protocol')) config.protocol = v.get('protocol') as number
  if (v.has('retry-max')) config.retry_max_attempts = v.get('retry-max') as number
  if (v.has('nats-server')) config.nats_servers = list('nats-server')
  if (v.has('assign')) config.assign = list('assign')
  if (v.has('expect')) config.expect = v.get('expect') as number
  if (v.get('replay') === true) config.replay_on_join = true
  if (v.get('rejoin') === true) config.rejoin_after_leave = true
  if (v.get('ui-allow-remote') === true) config.ui_allow_remote = true
  // Serf copies !disable-compression unconditionally: only the flag decides compression.
  config.enable_compression = v.get('disable-compression') !== true
  for (const [flag, key] of [
    ['retry-interval', 'retry_interval'],
    ['broadcast-timeout', 'broadcast_timeout'],
    ['handler-timeout', 'handler_timeout'],
    ['election-lease', 'election_lease'],
    ['assign-window', 'assign_window'],
  ] as const) {
    const text = v.get(flag)
    if (typeof text !== 'string' || text === '') continue
    const d = parseGoDuration(text)
    if (!d.ok) throw new AgentConfigError(`Error: ${d.error}`, key)
    config[key] = d.ms
  }
  if (v.has('tag')) {
    const tags: Record<string, string> = {}
    for (const tag of list('tag')) {
      const eq = tag.indexOf('=')
      if (eq <= 0) throw new AgentConfigError(`Error: Invalid tag: '${tag}'`, 'tags')
      tags[tag.slice(0, eq)] = tag.slice(eq + 1)
    }
    config.tags = tags
  }
  return { config, configPaths: parsed.order.filter((o) => o.name === 'config-file' || o.name === 'config-dir').map((o) => String(o.value)), help: parsed.help }
}

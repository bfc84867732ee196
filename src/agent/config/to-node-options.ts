/**
 * AgentConfig -> createNode's NodeOptions and the RPC server's options. Joins are not passed to
 * the node: the agent joins itself after the RPC listener is up, as Serf's agent does, so it can
 * print `Joining cluster...` and exit 1 when the start join fails, and run retry-join with Serf's
 * log lines and exit.
 */
import type { NodeOptions } from '../../node/api.ts'
import type { AgentConfig } from './agent-config.ts'

export function toNodeOptions(config: AgentConfig, tags: Readonly<Record<string, string>>): NodeOptions {
  const options: NodeOptions = {
    name: config.nodeName,
    bind: config.bind,
    profile: config.profile,
    protocol: config.protocol,
    tags,
    replay: config.replayOnJoin,
    rejoinAfterLeave: config.rejoinAfterLeave,
    placement: config.placement,
    // The agent coalesces as Serf's agent does (both on).
    coalesce: { members: true, userEvents: true },
    // 'silent': the node prints nothing itself (its pino JSON would break Serf's stdout format);
    // the agent prints the node's lines from node.logs() in Serf's format, at -log-level.
    logLevel: 'silent',
    // Every level into the node's ring: the agent prints at -log-level and monitor filters at its
    // own (Serf's monitor sees lines below -log-level, and -log-level=debug shows the actors' debug).
    logRingLevel: 'trace',
    leaveTimeoutMs: config.broadcastTimeoutMs,
    nameConflictResolution: !config.disableNameResolution,
    compression: config.enableCompression,
    querySizeLimit: config.querySizeLimit,
    queryResponseSizeLimit: config.queryResponseSizeLimit,
    userEventSizeLimit: config.userEventSizeLimit,
  }
  if (config.reconnectIntervalMs !== undefined) options.reconnectIntervalMs = config.reconnectIntervalMs
  if (config.reconnectTimeoutMs !== undefined) options.reconnectTimeoutMs = config.reconnectTimeoutMs
  if (config.tombstoneTimeoutMs !== undefined) options.tombstoneTimeoutMs = config.tombstoneTimeoutMs
  if (config.advertise !== undefined) options.advertise = config.advertise
  if (config.codeCache !== undefined) options.codeCache = config.codeCache
  if (config.encryptKey !== undefined) options.keys = [config.encryptKey]
  if (config.keyringFile !== undefined) options.keyringFile = config.keyringFile
  if (config.snapshotPath !== undefined) options.snapshotPath = config.snapshotPath
  if (config.coordination !== undefined) options.coordination = config.coordination
  if (config.uiAddr !== undefined) options.inspect = { addr: config.uiAddr, allowRemote: config.uiAllowRemote }
  return options
}

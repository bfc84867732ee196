/**
 * gossip-queue config: one create + one validate (STYLE.md "Config"). Defaults are memberlist's LAN
 * profile and Serf's DefaultConfig (spec §4.1, §4.10, §5.13).
 */
import { InvalidConfigError } from '../../src/errors/index.ts'

export interface GossipQueueConfig {
  /** Retransmit a broadcast retransmitMult × ceil(log10(n+1)) times (LAN 4, WAN 4, Local 2). */
  retransmitMult: number
  /** Serf MaxQueueDepth: a queue is pruned to this many broadcasts on each check (4096). */
  maxQueueDepth: number
  /** Serf MinQueueDepth: when > 0 the depth limit is max(2 × members, this) instead (0 = off). */
  minQueueDepth: number
  /** Serf QueueCheckInterval: how often queues are pruned, in ms (30 s). */
  queueCheckIntervalMs: number
  /** Serf QueueDepthWarning: a depth at or above this is reported as a warning (128). */
  queueDepthWarning: number
  /**
   * Hard bound on any queue between checks; enqueueing past it prunes at once (counted). Keeps the
   * queue bounded even if a burst outruns the 30 s check. Default 2 × maxQueueDepth.
   */
  hardMaxDepth: number
  /**
   * Longest message accepted, in bytes (including the 0x08 prefix on Serf queues). UDPBufferSize
   * 1400 − compound header 2 − part overhead 2: anything longer could never be gossiped by UDP.
   */
  maxMessageBytes: number
}

export type GossipQueueInit = Partial<GossipQueueConfig>

export const DEFAULT_GOSSIP_QUEUE_CONFIG: Readonly<GossipQueueConfig> = Object.freeze({
  retransmitMult: 4,
  maxQueueDepth: 4096,
  minQueueDepth: 0,
  queueCheckIntervalMs: 30_000,
  queueDepthWarning: 128,
  hardMaxDepth: 8192,
  maxMessageBytes: 1396,
})

export function createGossipQueueConfig(init: GossipQueueInit = {}): GossipQueueConfig {
  const config: GossipQueueConfig = { ...DEFAULT_GOSSIP_QUEUE_CONFIG }
  for (const [k, v] of Object.entries(init)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  if (init.hardMaxDepth === undefined && init.maxQueueDepth !== undefined) config.hardMaxDepth = 2 * init.maxQueueDepth
  validateGossipQueueConfig(config)
  return config
}

export function validateGossipQueueConfig(config: GossipQueueConfig): void {
  const positiveInt = ['retransmitMult', 'maxQueueDepth', 'queueCheckIntervalMs', 'queueDepthWarning', 'hardMaxDepth', 'maxMessageBytes'] as const
  for (const field of positiveInt) {
    const v = config[field]
    if (!Number.isInteger(v) || v <= 0) throw new InvalidConfigError(`gossipQueue.${field}`, 'must be a positive integer')
  }
  if (!Number.isInteger(config.minQueueDepth) || config.minQueueDepth < 0) {
    throw new InvalidConfigError('gossipQueue.minQueueDepth', 'must be a non-negative integer')
  }
  if (config.hardMaxDepth < config.maxQueueDepth) {
    throw new InvalidConfigError('gossipQueue.hardMaxDepth', 'must be >= gossipQueue.maxQueueDepth')
  }
}

/** Serf getQueueMax: the depth a queue is pruned to (spec §4.10). */
export function queueDepthLimit(config: GossipQueueConfig, numMembers: number): number {
  if (config.minQueueDepth > 0) return Math.max(2 * numMembers, config.minQueueDepth)
  return config.maxQueueDepth
}

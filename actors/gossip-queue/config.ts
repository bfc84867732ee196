/**
 * gossip-queue config: one create + one validate (STYLE.md "Config"). Defaults are memberlist's LAN
 * profile and Serf's DefaultConfig (spec §4.1, §4.10, §5.13).
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
import { configObject, knownFieldsOnly, rejectUnknownFields } from '../../src/config/fields.ts'
import { checkBoolean, checkInt, TIMER_MAX_MS } from '../../src/config/values.ts'
import { COMPOUND_HEADER_OVERHEAD, COMPOUND_PART_OVERHEAD } from '../../src/wire/compound.ts'
import { ENCRYPT_OVERHEAD } from '../../src/wire/crypto.ts'

export interface GossipQueueConfig {
  /**
   * Retransmit a broadcast retransmitMult × ceil(log10(n+1)) times (LAN 4, WAN 4, Local 2). Must
   * equal swim's: derive it with gossipQueueConfigFor, as the default is LAN's 4.
   */
  retransmitMult: number
  /**
   * The fewest transmits any broadcast gets, whatever the cluster size (0 = memberlist's formula
   * alone). Not in memberlist, whose limit is 4 (LAN) or 2 (Local) for 1-9 nodes: every node that
   * has a broadcast sends it that often and stops, so a node nobody picked misses it until a
   * push/pull (15-30 s). memberlist's own algorithm leaves some node without a broadcast in 0.5%
   * (LAN, 5 nodes), 6% (LAN, 9) and 64% (Local, 9) of broadcasts (bench/cluster/spread-model.ts).
   * gossipQueueConfigFor sets it to 2 × swim's gossipNodes (two full gossip ticks: 6): 0.01% / 0.4%
   * / 0.4%, and a waited-for broadcast (a leave intent) still finishes in two ticks on LAN.
   */
  minRetransmits: number
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
   * The default is plaintext's; with encryption 29 more bytes go (1,367): use gossipQueueConfigFor.
   */
  maxMessageBytes: number
  /**
   * Most broadcasts one piggyback lease (`gossip.lease`) holds. 512: one gossip tick of LAN's 3
   * packets × 1,398 bytes holds at most 512 parts of 6 bytes or more (2 bytes of part overhead
   * each); real broadcasts are longer (an alive is ~40 bytes, a Serf leave intent ~20), so the
   * lease holds every part the tick's packets and the acks between two leases can carry.
   */
  leaseMaxEntries: number
  /**
   * Most message bytes one lease holds. 16,800 = 4 gossip ticks of LAN's gossipNodes (3) ×
   * udpBufferSize (1,400): a tick's packets, plus the pings and acks that piggyback while the next
   * lease is one cross-thread hop away, find every broadcast a fill would have chosen.
   * gossipQueueConfigFor derives it from swim's gossipNodes and udpBufferSize (4 ticks) and refuses
   * less than one tick. At least maxMessageBytes (the longest broadcast must fit a lease).
   */
  leaseMaxBytes: number
}

export type GossipQueueInit = Partial<GossipQueueConfig>

/** Gossip ticks' worth of packets a lease holds by default (see leaseMaxBytes). */
export const LEASE_TICKS = 4

/** Bounds of the lease fields: past these a lease is no longer a cheap message per turn. */
const MAX_LEASE_ENTRIES = 65_536
const MAX_LEASE_BYTES = 16 * 1024 * 1024
/** Bound of minRetransmits: past this a floor costs more traffic than any cluster size asks for. */
const MAX_MIN_RETRANSMITS = 64

export const DEFAULT_GOSSIP_QUEUE_CONFIG: Readonly<GossipQueueConfig> = Object.freeze({
  retransmitMult: 4,
  minRetransmits: 0,
  maxQueueDepth: 4096,
  minQueueDepth: 0,
  queueCheckIntervalMs: 30_000,
  queueDepthWarning: 128,
  hardMaxDepth: 8192,
  maxMessageBytes: 1396,
  leaseMaxEntries: 512,
  leaseMaxBytes: LEASE_TICKS * 3 * 1400,
})

const GOSSIP_QUEUE_FIELDS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_GOSSIP_QUEUE_CONFIG))

/** Largest UDP payload (65,535 − 8 UDP − 20 IPv4 header bytes): no broadcast can be longer. */
const MAX_UDP_PAYLOAD = 65_507

/**
 * The defaults with `init` spread over them, validated. `init` must be a plain object of known
 * fields (a misspelled one is an InvalidConfigError naming it).
 */
export function createGossipQueueConfig(init: GossipQueueInit = {}): GossipQueueConfig {
  const given = knownFieldsOnly('gossipQueue', init, GOSSIP_QUEUE_FIELDS) as GossipQueueInit
  const config: GossipQueueConfig = { ...DEFAULT_GOSSIP_QUEUE_CONFIG }
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  if (given.hardMaxDepth === undefined && given.maxQueueDepth !== undefined && Number.isSafeInteger(2 * given.maxQueueDepth)) {
    config.hardMaxDepth = 2 * given.maxQueueDepth
  }
  validateGossipQueueConfig(config)
  return config
}

export function validateGossipQueueConfig(config: GossipQueueConfig): void {
  rejectUnknownFields('gossipQueue', configObject('gossipQueue', config), GOSSIP_QUEUE_FIELDS)
  for (const field of ['retransmitMult', 'maxQueueDepth', 'queueDepthWarning', 'hardMaxDepth'] as const) checkInt(`gossipQueue.${field}`, config[field], 1)
  checkInt('gossipQueue.queueCheckIntervalMs', config.queueCheckIntervalMs, 1, TIMER_MAX_MS, 'ms')
  checkInt('gossipQueue.maxMessageBytes', config.maxMessageBytes, 1, MAX_UDP_PAYLOAD, 'bytes')
  checkInt('gossipQueue.minQueueDepth', config.minQueueDepth, 0)
  checkInt('gossipQueue.minRetransmits', config.minRetransmits, 0, MAX_MIN_RETRANSMITS)
  checkInt('gossipQueue.leaseMaxEntries', config.leaseMaxEntries, 1, MAX_LEASE_ENTRIES)
  checkInt('gossipQueue.leaseMaxBytes', config.leaseMaxBytes, 1, MAX_LEASE_BYTES, 'bytes')
  if (config.leaseMaxBytes < config.maxMessageBytes) {
    throw new InvalidConfigError('gossipQueue.leaseMaxBytes', `must be >= gossipQueue.maxMessageBytes (${config.maxMessageBytes}): the longest broadcast must fit a lease`, { got: config.leaseMaxBytes })
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

/** What the gossip-queue config must agree with in swim's config (actors/swim/config.ts). */
export interface SwimPacketShape {
  /** swim's retransmitMult (LAN 4, WAN 4, Local 2). */
  retransmitMult: number
  /** swim's udpBufferSize: the byte budget of one UDP packet. */
  udpBufferSize: number
  /** Whether outgoing packets are sealed (a keyring with gossipVerifyOutgoing): 29 bytes each. */
  encrypted: boolean
  /** swim's gossipNodes (packets per gossip tick); when given, the lease and minRetransmits are sized from it. */
  gossipNodes?: number
}

/**
 * The gossip-queue config that matches swim's, for the composition root and the simulator. Pure.
 * - retransmitMult: swim's, so a Local-preset node retransmits 2×, not the default 4×.
 * - minRetransmits: 2 × swim's gossipNodes when given (two full gossip ticks; see the field).
 * - maxMessageBytes: the largest broadcast any packet can carry: udpBufferSize − compound header (2)
 *   − one part's length (2) − 29 if encrypted (version 1 sealing, what swim sends, spec §3.2). With
 *   the plaintext default of 1,396 a 1,368-1,396-byte broadcast would be accepted under encryption
 *   and never fit a fill; derived here it is refused at enqueue, counted as `oversized`, and its
 *   waiter is told at once.
 * `init` sets the other fields (depths, check interval); the two above always come from swim.
 * Throws InvalidConfigError naming the field if the budget leaves no room for a message.
 */
export function gossipQueueConfigFor(swim: SwimPacketShape, init: GossipQueueInit = {}): GossipQueueConfig {
  configObject('swim', swim)
  checkInt('swim.udpBufferSize', swim.udpBufferSize, 1)
  checkBoolean('swim.encrypted', swim.encrypted)
  if (swim.gossipNodes !== undefined) checkInt('swim.gossipNodes', swim.gossipNodes, 0)
  const maxMessageBytes = swim.udpBufferSize - COMPOUND_HEADER_OVERHEAD - COMPOUND_PART_OVERHEAD - (swim.encrypted ? ENCRYPT_OVERHEAD : 0)
  if (maxMessageBytes <= 0) {
    throw new InvalidConfigError('swim.udpBufferSize', `leaves no room for a broadcast (${swim.udpBufferSize} − 4 bytes of compound overhead${swim.encrypted ? ' − 29 of encryption' : ''})`)
  }
  // One gossip tick's packets; a node that does not gossip (gossipNodes 0) still piggybacks on acks.
  const tickBytes = Math.max(1, swim.gossipNodes ?? 0) * swim.udpBufferSize
  const lease: GossipQueueInit = {}
  if (swim.gossipNodes !== undefined && init.leaseMaxBytes === undefined) lease.leaseMaxBytes = Math.max(LEASE_TICKS * tickBytes, maxMessageBytes)
  if (swim.gossipNodes !== undefined && init.minRetransmits === undefined) lease.minRetransmits = Math.min(MAX_MIN_RETRANSMITS, 2 * swim.gossipNodes)
  let config: GossipQueueConfig
  try {
    config = createGossipQueueConfig({ ...init, ...lease, retransmitMult: swim.retransmitMult, maxMessageBytes })
  } catch (err) {
    // The multiplier came from swim: name swim's field, not ours.
    if (err instanceof InvalidConfigError && err.details?.['field'] === 'gossipQueue.retransmitMult') {
      throw new InvalidConfigError('swim.retransmitMult', 'must be a positive integer', { cause: err, got: swim.retransmitMult })
    }
    throw err
  }
  if (swim.gossipNodes !== undefined && config.leaseMaxBytes < tickBytes) {
    throw new InvalidConfigError('gossipQueue.leaseMaxBytes', `must hold one gossip tick's packets: >= swim.gossipNodes × swim.udpBufferSize (${tickBytes})`, { got: config.leaseMaxBytes })
  }
  return config
}

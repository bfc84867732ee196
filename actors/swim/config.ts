/**
 * SWIM (memberlist) configuration: presets with memberlist 0.2.2's defaults (spec §4.1), one
 * `createSwimConfig(init)` that spreads the caller's choices over a preset, and one
 * `validateSwimConfig(config)` that checks every field and the rules between fields.
 * Durations are numbers in milliseconds (`Ms` suffix).
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
import { configObject, knownFieldsOnly, rejectUnknownFields } from '../../src/config/fields.ts'
import { checkBoolean, checkInt, checkNumber, checkOneOf } from '../../src/config/values.ts'
import { decodeKeyText, Keyring } from '../../src/wire/keyring.ts'
import { DEFAULT_STREAM_LIMITS } from '../../src/transport/transport.ts'
import { parseJoinAddresses } from './join-address.ts'
import { nameRule } from './acceptance.ts'

/** How a suspect node is finally declared dead. */
export type FailureDetectorKind = 'lifeguard' | 'phi'
/** Whom each probe tick picks: memberlist's shuffled round-robin, or the staggered rotation (probe-rotation.ts). */
export type ProbeOrder = 'staggered' | 'shuffled'

export interface SwimConfig {
  /** UDP/TCP port we bind and advertise when the caller gives none. */
  bindPort: number
  /** memberlist protocol version we speak; Serf always runs memberlist at 2 (spec §0). */
  protocolVersion: number
  /** Deadline of one TCP stream (push/pull, fallback ping). */
  tcpTimeoutMs: number
  /** k: members asked to probe a target indirectly after a missed direct ack. */
  indirectChecks: number
  /** A broadcast is retransmitted retransmitMult × ceil(log10(n+1)) times (spec §4.9). */
  retransmitMult: number
  /** Suspicion minimum = suspicionMult × max(1, log10(n)) × probeInterval (spec §4.5). */
  suspicionMult: number
  /** Suspicion maximum = suspicionMaxTimeoutMult × minimum; the timer starts there (Lifeguard). */
  suspicionMaxTimeoutMult: number
  /** Full-state TCP sync with one random alive member, scaled up above 32 nodes (spec §4.8). 0 = off. */
  pushPullIntervalMs: number
  /** Wait this long for the direct ack before asking k members to probe indirectly. */
  probeTimeoutMs: number
  /** One probe per interval, scaled by (health score + 1) (Lifeguard awareness). */
  probeIntervalMs: number
  /** Skip the TCP fallback ping when UDP probes fail. */
  disableTcpPings: boolean
  /** Health score lies in [0, awarenessMaxMultiplier − 1]: probes back off at most this many times. */
  awarenessMaxMultiplier: number
  /** Members each gossip tick sends broadcasts to. */
  gossipNodes: number
  /** Period of the gossip tick. 0 = no gossip ticks (broadcasts then ride only on probes). */
  gossipIntervalMs: number
  /** Dead nodes keep receiving gossip (and stay in the table) this long, so they can refute. */
  gossipToTheDeadTimeMs: number
  /**
   * memberlist DeadNodeReclaimTime: a node dead for longer than this may come back under its name at
   * a new address (its alive is accepted instead of reported as a name conflict). 0 = never (the
   * default in memberlist and Serf; a left node may always come back at a new address).
   */
  deadNodeReclaimTimeMs: number
  /** Compress packets when it makes them smaller, and always compress streams (spec §1.2, §2.1). */
  enableCompression: boolean
  /**
   * Encryption keys (spec §3): when set, every UDP packet and TCP stream is sealed with the primary
   * and received ones are opened with any key in the ring. null = plaintext (the default).
   * Built from `SwimInit.keys` where the config is created (inside swim's thread): a Keyring
   * instance does not survive the structured clone that carries swim's input into its worker.
   */
  keyring: Keyring | null
  /** memberlist GossipVerifyIncoming: with a keyring, refuse what does not decrypt (false: staged rollout). */
  gossipVerifyIncoming: boolean
  /** memberlist GossipVerifyOutgoing: with a keyring, encrypt what we send (false: staged rollout). */
  gossipVerifyOutgoing: boolean
  /** Depth of each handoff queue (alive: high priority; suspect/dead/user: low) (spec §4.11). */
  handoffQueueDepth: number
  /** Byte budget of one UDP packet, piggybacked broadcasts included. */
  udpBufferSize: number
  /** How a suspect is declared dead: Lifeguard's shrinking timer, or phi accrual on contact history. */
  failureDetector: FailureDetectorKind
  /** φ at which a suspect is declared dead (Hayashibara; 8 ≈ 10⁻⁸ chance of a wrong call). */
  phiThreshold: number
  /** Inter-arrival samples kept per node by the phi detector. */
  phiWindowSize: number
  /** Floor on the standard deviation used by φ, so a very regular history is not hair-trigger. */
  phiMinStdDevMs: number
  /** Added to the mean inter-arrival: a pause this long is considered normal (Akka: 3 s). */
  phiAcceptablePauseMs: number
  /**
   * Local rules beyond memberlist (on in every preset; false = memberlist's exact rules, kept for
   * comparison): a suspect at a higher incarnation restarts a stale suspicion instead of confirming
   * it; stale rumours about us get our current alive sent straight back; a suspect we hear from is
   * told directly that we suspect it, is checked directly before we declare it dead, and is not
   * declared while it keeps talking to us (up to the Lifeguard maximum). See suspicion-refresh.ts.
   * Only what this node believes changes, plus a few direct alive/suspect packets: peers running
   * memberlist or Serf see ordinary messages. Measured (bench/cluster/lossy-sweep.ts, 30% loss for
   * 10 min): false deaths go from ~2 per run (memberlist's rules) to none.
   */
  staleSuspicionRefresh: boolean
  /**
   * Local timing rules beyond memberlist (on in every preset; false = memberlist's timing): a member
   * that hears of a suspicion probes the suspect at its next probe tick, out of the round-robin
   * order, once per suspicion (suspect-probes.ts), so confirmations come within about two probe
   * intervals; and a suspect or dead this node originates goes out in a gossip round at once
   * (gossip-ticker.ts `urgent`). Timeouts and messages are memberlist's. Measured in the simulator
   * (bench/cluster/crash-detect.ts, N = 5, LAN, 200 seeds): see the README.
   */
  fastCrashDetection: boolean
  /**
   * A local timing rule beyond memberlist (on in every preset; false = memberlist's timing): the
   * alive of a member this node did not know goes out in a gossip round an eighth of a gossip
   * interval after the last one, not at the next tick (gossip-ticker.ts `joinNews`), so a join
   * reaches every member in about its push/pulls' time. No message or transmit limit changes.
   */
  fastJoinPropagation: boolean
  /**
   * 'staggered' (every preset): at each probe step (the clock's time / probeIntervalMs) the members,
   * in name order, probe one another as a rotation, each member's tick at the step's start plus a
   * small offset of its own, so each member is probed once per interval and a crashed one within
   * 1.1 intervals (probe-rotation.ts); 'shuffled': memberlist's
   * round-robin over a list each member shuffles, where the first probe of a crashed member can
   * take up to n - 1 intervals. Peers see the same pings either way.
   */
  probeOrder: ProbeOrder

  // Streams and joins: the transport's stream bounds, the inbound byte budget, Serf's retry-join.
  /** Inbound streams (TCP connections) open at once; one more is closed at accept, counted in context.streams.refusedAtAccept. */
  maxInboundStreams: number
  /** A stream with no byte either way for this long is aborted (ms): a backstop under each stream's tcpTimeoutMs deadline. */
  streamIdleTimeoutMs: number
  /** Bytes all inbound stream reads may buffer together; a read that would pass it is refused (counters.streamsOverBudget). */
  streamBufferBudgetBytes: number
  /** Serf's retry_join: "ip:port" addresses joined together after start, then again with backoff until a join succeeds. [] = off. */
  retryJoin: readonly string[]
  /** Serf's retry_interval (ms): the longest wait between attempts (the first retries come sooner: 1 s, doubling). */
  retryJoinIntervalMs: number
  /** Serf's retry_max_attempts: retries after the first attempt, so at most 1 + this attempts; 0 = until one succeeds. */
  retryJoinMax: number
}

/** An AES key as data: 16, 24 or 32 raw bytes, or Serf's base64 text of them (`serf keygen`). */
export type SwimKey = Uint8Array | string

/**
 * The caller's choices; every field optional. Encryption is given as `keys` (plain data, primary
 * first), which crosses into a worker thread intact; `keyring` (a Keyring instance) is still taken
 * for in-process use (inline placement, the simulator), but not both at once.
 */
export type SwimInit = Partial<Omit<SwimConfig, 'keyring'>> & {
  /** AES keys, primary first: the keyring is built from them. Omitted or null: plaintext. */
  keys?: readonly SwimKey[] | null
  /** A ready Keyring (in-process only: it does not survive a structured clone). */
  keyring?: Keyring | null
}

/** memberlist `DefaultLANConfig` (0.2.2). Serf's agent default profile. */
export const LAN_SWIM_CONFIG: Readonly<SwimConfig> = Object.freeze({
  bindPort: 7946, // memberlist's and Serf's well-known port
  protocolVersion: 2, // what Serf 0.9.4 runs memberlist at
  tcpTimeoutMs: 10_000, // a LAN push/pull of a few thousand nodes fits easily
  indirectChecks: 3, // three independent paths before a suspicion
  retransmitMult: 4, // retransmit 4 × ceil(log10(n+1)) times
  suspicionMult: 4, // 4 s minimum suspicion at up to 10 nodes
  suspicionMaxTimeoutMult: 6, // without confirmations, wait up to 6 × the minimum
  pushPullIntervalMs: 30_000, // anti-entropy every 30 s
  probeTimeoutMs: 500, // a LAN round trip is far below this; leaves room for GC pauses
  probeIntervalMs: 1_000, // one probe per second per node: constant load per member
  disableTcpPings: false,
  awarenessMaxMultiplier: 8, // probes back off up to 8 s when we are the slow one
  gossipNodes: 3, // fanout 3 per 200 ms gives log-N dissemination
  gossipIntervalMs: 200,
  gossipToTheDeadTimeMs: 30_000, // dead nodes hear about themselves for 30 s so they can refute
  deadNodeReclaimTimeMs: 0, // memberlist's and Serf's default: a dead node's name stays bound to its address
  enableCompression: true,
  keyring: null, // Serf's agent encrypts only with -encrypt or a keyring file
  gossipVerifyIncoming: true,
  gossipVerifyOutgoing: true,
  handoffQueueDepth: 1024,
  udpBufferSize: 1400, // below a 1500-byte Ethernet MTU with IP/UDP headers
  failureDetector: 'lifeguard',
  phiThreshold: 8, // Akka and Cassandra's default
  phiWindowSize: 1000,
  phiMinStdDevMs: 500, // Akka's floor is 100 ms on 1 s heartbeats; SWIM contacts are sparser
  phiAcceptablePauseMs: 3_000, // Akka's acceptable-heartbeat-pause
  staleSuspicionRefresh: true, // no local false deaths under heavy loss; false = memberlist's exact rules
  fastCrashDetection: true, // confirmations and dead declarations sooner; false = memberlist's timing
  fastJoinPropagation: true, // a join's news is gossiped within 1/8 interval; false = memberlist's timing
  probeOrder: 'staggered', // a crashed member is probed within 1.1 intervals; 'shuffled' = memberlist's order
  // Streams and joins.
  maxInboundStreams: DEFAULT_STREAM_LIMITS.maxInboundStreams, // memberlist's 128 push/pulls plus as many pings and user messages
  streamIdleTimeoutMs: DEFAULT_STREAM_LIMITS.idleTimeoutMs, // past any exchange (2 × tcpTimeoutMs is 60 s at the WAN preset)
  streamBufferBudgetBytes: 64 * 1024 * 1024, // three maximal (20 MiB) push/pulls at once, or thousands of ordinary ones
  retryJoin: Object.freeze([]) as readonly string[],
  retryJoinIntervalMs: 30_000, // Serf's retry_interval
  retryJoinMax: 0, // Serf's retry_max_attempts: retry until joined
})

/** memberlist `DefaultWANConfig`: LAN with longer timeouts for high-latency links. */
export const WAN_SWIM_CONFIG: Readonly<SwimConfig> = Object.freeze({
  ...LAN_SWIM_CONFIG,
  tcpTimeoutMs: 30_000,
  suspicionMult: 6, // WAN links drop more: give a suspect longer to refute
  pushPullIntervalMs: 60_000,
  probeTimeoutMs: 3_000, // WAN round trips can reach hundreds of ms
  probeIntervalMs: 5_000,
  gossipNodes: 4, // more fanout compensates for the slower tick
  gossipIntervalMs: 500,
  gossipToTheDeadTimeMs: 60_000,
})

/** memberlist `DefaultLocalConfig`: LAN tuned for loopback or one host. */
export const LOCAL_SWIM_CONFIG: Readonly<SwimConfig> = Object.freeze({
  ...LAN_SWIM_CONFIG,
  tcpTimeoutMs: 1_000,
  indirectChecks: 1,
  retransmitMult: 2,
  suspicionMult: 3,
  pushPullIntervalMs: 15_000,
  probeTimeoutMs: 200,
  probeIntervalMs: 1_000,
  gossipIntervalMs: 100,
  gossipToTheDeadTimeMs: 15_000,
})

/** Fast intervals for unit and scenario tests (ours; chitchat's `for_test`). */
export const TEST_SWIM_CONFIG: Readonly<SwimConfig> = Object.freeze({
  ...LOCAL_SWIM_CONFIG,
  probeTimeoutMs: 20,
  probeIntervalMs: 100,
  gossipIntervalMs: 20,
  pushPullIntervalMs: 2_000,
  gossipToTheDeadTimeMs: 1_500,
  tcpTimeoutMs: 200,
  phiAcceptablePauseMs: 300,
  phiMinStdDevMs: 50,
})

export const SWIM_PRESETS = { lan: LAN_SWIM_CONFIG, wan: WAN_SWIM_CONFIG, local: LOCAL_SWIM_CONFIG, test: TEST_SWIM_CONFIG }
export type SwimPreset = keyof typeof SWIM_PRESETS

/** Fields a SwimInit may name: every config field (the LAN preset has them all) and `keys`. */
const SWIM_INIT_FIELDS: ReadonlySet<string> = new Set([...Object.keys(LAN_SWIM_CONFIG), 'keys'])
/** Fields of a whole SwimConfig (what validateSwimConfig accepts). */
const SWIM_CONFIG_FIELDS: ReadonlySet<string> = new Set(Object.keys(LAN_SWIM_CONFIG))

/**
 * Spreads `init` over a preset (LAN by default) and validates the result. `init` must be a plain
 * object of known fields: a misspelled one is an InvalidConfigError naming it (with the nearest
 * known name), not a silently ignored choice.
 */
export function createSwimConfig(init: SwimInit = {}, preset: SwimPreset = 'lan'): SwimConfig {
  checkOneOf('swim.preset', preset, Object.keys(SWIM_PRESETS) as SwimPreset[])
  const given = knownFieldsOnly('swim', init, SWIM_INIT_FIELDS) as SwimInit
  const config: SwimConfig = { ...SWIM_PRESETS[preset] }
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && key !== 'keys') (config as unknown as Record<string, unknown>)[key] = value
  }
  if (given.keys !== undefined && given.keys !== null) {
    if (given.keyring !== undefined && given.keyring !== null) throw new InvalidConfigError('swim.keys', 'give swim.keys or swim.keyring, not both')
    config.keyring = keyringFromKeys(given.keys)
  }
  validateSwimConfig(config)
  return config
}

/**
 * The keyring of `swim.keys`: each entry 16, 24 or 32 raw bytes (AES-128/192/256) or Serf's base64
 * text of them, the first the primary (used to send). Errors name the entry, e.g. `swim.keys[1]`.
 */
export function keyringFromKeys(keys: readonly SwimKey[]): Keyring {
  if (!Array.isArray(keys) || keys.length === 0) throw new InvalidConfigError('swim.keys', 'must be a non-empty array of keys (primary first), or null for plaintext', { got: keys })
  const raw = keys.map((key: unknown, i) => {
    if (typeof key === 'string') {
      try {
        return decodeKeyText(key)
      } catch (err) {
        throw new InvalidConfigError(`swim.keys[${i}]`, `must be base64 of 16, 24 or 32 bytes (${(err as Error).message})`)
      }
    }
    if (key instanceof Uint8Array && KEY_BYTES.includes(key.length)) return key
    const got = key instanceof Uint8Array ? `${key.length} bytes` : typeof key
    throw new InvalidConfigError(`swim.keys[${i}]`, `must be a Uint8Array of 16, 24 or 32 bytes or its base64 text (got ${got})`)
  })
  return new Keyring(raw)
}

/** AES-128, -192 and -256 key sizes in bytes (spec §3.1). */
const KEY_BYTES = [16, 24, 32]

/**
 * The node's own name (the input's `name`) follows the rule every name a peer sends must follow
 * (acceptance.ts nameRule: 1-512 bytes of UTF-8, no U+FFFD, no control characters): a name our
 * peers would refuse, or member-manager would, is refused here. Throws InvalidConfigError naming
 * `swim.name`.
 */
export function validateSwimName(name: unknown): void {
  const rule = nameRule(name)
  if (rule !== undefined) throw new InvalidConfigError('swim.name', rule)
}

/** A test-speed config (see TEST_SWIM_CONFIG). */
export function testConfig(init: SwimInit = {}): SwimConfig {
  return createSwimConfig(init, 'test')
}

type IntRule = [field: keyof SwimConfig, min: number, max: number]

const INT_RULES: IntRule[] = [
  ['bindPort', 0, 65_535],
  ['protocolVersion', 1, 5],
  ['tcpTimeoutMs', 1, 3_600_000],
  ['indirectChecks', 0, 64],
  ['retransmitMult', 1, 64],
  ['suspicionMult', 1, 64],
  ['suspicionMaxTimeoutMult', 1, 64],
  ['pushPullIntervalMs', 0, 86_400_000],
  ['probeTimeoutMs', 1, 3_600_000],
  ['probeIntervalMs', 1, 3_600_000],
  ['awarenessMaxMultiplier', 1, 64],
  ['gossipNodes', 0, 64],
  ['gossipIntervalMs', 0, 3_600_000],
  ['gossipToTheDeadTimeMs', 0, 86_400_000],
  ['deadNodeReclaimTimeMs', 0, 365 * 86_400_000],
  ['handoffQueueDepth', 1, 1 << 20],
  // Smaller than a compound header plus one alive message cannot carry anything useful; larger
  // than a UDP datagram cannot be sent.
  ['udpBufferSize', 128, 65_507],
  ['phiWindowSize', 2, 100_000],
  ['phiMinStdDevMs', 1, 3_600_000],
  ['phiAcceptablePauseMs', 0, 3_600_000],
]

/**
 * Throws InvalidConfigError naming the first field that is unknown, of the wrong type, out of range
 * or inconsistent with another; the message shows the value received.
 */
export function validateSwimConfig(config: SwimConfig): void {
  rejectUnknownFields('swim', configObject('swim', config), SWIM_CONFIG_FIELDS)
  for (const [field, min, max] of INT_RULES) checkInt(`swim.${field}`, config[field], min, max)
  for (const field of ['disableTcpPings', 'enableCompression', 'staleSuspicionRefresh', 'fastCrashDetection', 'fastJoinPropagation', 'gossipVerifyIncoming', 'gossipVerifyOutgoing'] as const) {
    checkBoolean(`swim.${field}`, config[field])
  }
  if (config.keyring !== null && !(config.keyring instanceof Keyring)) {
    // Most likely a Keyring that crossed into a worker thread: structured clone keeps its fields and
    // drops its class. Say so, rather than run without the keys.
    throw new InvalidConfigError(
      'swim.keyring',
      'must be null or a Keyring (src/wire/keyring.ts); a Keyring does not survive the structured clone into a worker thread: give swim.keys (raw keys or base64 text, primary first) instead',
    )
  }
  checkOneOf('swim.failureDetector', config.failureDetector, ['lifeguard', 'phi'])
  checkOneOf('swim.probeOrder', config.probeOrder, ['staggered', 'shuffled'])
  checkNumber('swim.phiThreshold', config.phiThreshold, { min: 0, exclusiveMin: true })
  // Rules between fields.
  if (config.probeTimeoutMs >= config.probeIntervalMs) {
    throw new InvalidConfigError('swim.probeTimeoutMs', `must be < swim.probeIntervalMs (${config.probeTimeoutMs} >= ${config.probeIntervalMs})`)
  }
  if (config.gossipNodes > 0 && config.gossipIntervalMs === 0) {
    throw new InvalidConfigError('swim.gossipIntervalMs', 'must be > 0 when swim.gossipNodes > 0')
  }
  if (config.pushPullIntervalMs > 0 && config.pushPullIntervalMs < config.probeIntervalMs) {
    throw new InvalidConfigError('swim.pushPullIntervalMs', 'must be 0 (off) or >= swim.probeIntervalMs')
  }
  if (config.tcpTimeoutMs < config.probeTimeoutMs) {
    throw new InvalidConfigError('swim.tcpTimeoutMs', 'must be >= swim.probeTimeoutMs')
  }
  validateStreamsAndJoins(config)
}

/** The streams-and-joins block: the transport's bounds, the inbound byte budget, retry-join. */
function validateStreamsAndJoins(config: SwimConfig): void {
  const ints: IntRule[] = [
    ['maxInboundStreams', 1, 65_536],
    ['streamIdleTimeoutMs', 1, 86_400_000],
    // At least 1 MiB: below that ordinary push/pulls of a few thousand members would be refused.
    ['streamBufferBudgetBytes', 1 << 20, 2 ** 32],
    // Serf's floor for retry_interval is 1 s.
    ['retryJoinIntervalMs', 1_000, 86_400_000],
    ['retryJoinMax', 0, 1_000_000],
  ]
  for (const [field, min, max] of ints) checkInt(`swim.${field}`, config[field], min, max)
  // An idle timer shorter than a stream's deadline would cut exchanges swim still allows.
  if (config.streamIdleTimeoutMs < config.tcpTimeoutMs) {
    throw new InvalidConfigError('swim.streamIdleTimeoutMs', `must be >= swim.tcpTimeoutMs (${config.streamIdleTimeoutMs} < ${config.tcpTimeoutMs})`)
  }
  // The same forms as swim.join (a missing port is swim.bindPort); the machine dials the parsed ones.
  parseJoinAddresses(config.retryJoin, config.bindPort, 'swim.retryJoin')
}

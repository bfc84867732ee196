/**
 * What the swim machine takes from its spawn input (at start, and again at a restore, since XState
 * does not run the context factory then): the config built and checked from it, the join
 * addresses parsed with it, and the keyring packets use. Derived data and handles, not protocol
 * state: the keyring's bytes must never be persisted, so this stays out of the context (which
 * shows the config with the keyring redacted).
 */
import { toWireError } from '../../src/errors/index.ts'
import type { WireError } from '../../src/errors/index.ts'
import { Keyring } from '../../src/wire/keyring.ts'
import type { SwimConfig } from './config.ts'
import { createSwimConfig, LAN_SWIM_CONFIG, validateSwimName } from './config.ts'
import { parseJoinAddresses } from './join-address.ts'
import type { SwimPeers } from './protocol.ts'
import type { SwimContext, SwimInput } from './swim-context.ts'
import { NO_STREAMS, redactKeys } from './swim-context.ts'
import { SwimCounters } from './counters.ts'
import { JOIN_RETRY_OFF } from './join-retry.ts'
import { NO_LEASE } from './piggyback.ts'
import type { RunnerCounts } from './runner-counts.ts'

export function createMachineConfig(setPeers: (peers: Partial<SwimPeers> | undefined) => void) {
  /** The live ring built from the context's `liveKeys` (cached per array: it changes only by a keyring op). */
  let liveRing: { of: Uint8Array[]; ring: Keyring } | undefined
  const held = {
    input: undefined as SwimInput | undefined,
    /** The config the node runs with. */
    config: { ...LAN_SWIM_CONFIG } as SwimConfig,
    /** The input's join addresses and config.retryJoin, parsed with the config (a bad one is a configError, never a dial that throws). */
    joinAt: [] as string[],
    retryJoinAt: [] as string[],

    /** Takes the spawn input: the config (a bad one returned as an error), the peers. */
    configure(given: SwimInput): WireError | undefined {
      setPeers(given.peers)
      held.input = given
      try {
        held.config = createSwimConfig(given.config ?? {}, given.preset ?? 'lan')
        validateSwimName(given.name)
        held.joinAt = parseJoinAddresses(given.join, held.config.bindPort)
        held.retryJoinAt = parseJoinAddresses(held.config.retryJoin, held.config.bindPort, 'swim.retryJoin')
        return undefined
      } catch (err) {
        // A bad config is input, not a crash: restarting cannot fix it. The actor goes to `failed`.
        held.config = { ...LAN_SWIM_CONFIG }
        held.joinAt = []
        held.retryJoinAt = []
        return toWireError(err)
      }
    },

    /** The ring packets use: the live one once an operation changed it (persisted), else the config's. */
    ringOf(context: SwimContext): Keyring | null {
      if (context.liveKeys === undefined) return held.config.keyring
      if (liveRing?.of !== context.liveKeys) liveRing = { of: context.liveKeys, ring: new Keyring(context.liveKeys) }
      return liveRing.ring
    },
  }
  return held
}

/** The context of a (re)start without a snapshot: nothing bound, nothing known, every count at zero but the runner's. */
export function initialContext(given: SwimInput, config: SwimConfig, configError: WireError | undefined, peers: SwimPeers, counts: RunnerCounts): SwimContext {
  return {
    config: redactKeys(config),
    name: given.name,
    peers: { ...peers },
    address: '',
    bound: '',
    advertisedPort: 0,
    knownPeers: [],
    restores: 0,
    lastJoinError: undefined,
    joinRetry: JOIN_RETRY_OFF,
    retryJitter: null,
    knownMeta: undefined,
    streams: { ...NO_STREAMS },
    bindError: undefined,
    configError,
    held: [],
    heldOverflow: 0,
    incarnation: 1,
    healthScore: 0,
    numNodes: 0,
    lease: NO_LEASE,
    counters: { ...new SwimCounters() },
    liveKeys: undefined,
    ...counts,
  }
}

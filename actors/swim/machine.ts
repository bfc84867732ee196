/**
 * The swim machine: memberlist's failure detector and node table (SwimNode) behind messages, with
 * the node's lifecycle as states:
 *
 *   binding ──bound──▶ starting ──meta──▶ running → leaving (memberlist Leave: dead{self, From: self} spreading) → left
 *      └──bind failed──▶ failed ◀──config refused── (configured)         every state ──shutdown──▶ stopped
 *
 * `binding` invokes the placement's `bind` actor, which opens the transport (a UDP socket and TCP
 * listener in the worker placement, a MemoryNetwork endpoint in a simulation) for the input's
 * address. `starting` then asks member-manager for the local Meta (`member.local-meta`), so the
 * node's first alive carries the tags: member-manager's own `member.local-meta-changed` at its start
 * may have been sent before swim existed, or before a restart of swim, and been lost. If the ask
 * fails (no member-manager yet, timeout) it is counted and the node starts with the Meta it knew
 * (the last one before a restart in place, else the input's); member-manager's next change, or its
 * start, brings the tags. Requests that arrive meanwhile (join, reconnect, meta change, leave) are
 * kept, bounded and counted, and replayed once running. A bind failure (or a spawn without a
 * transport), like a config that does not validate (`configError`), is a coded error in `failed`,
 * never a crash. With port 0 in the input, the bound port is advertised.
 *
 * Every timer of the logic (probe tick, probe timeout and deadline, relays, suspicions, gossip,
 * push/pull) is scheduled on the actor clock and comes back as a `swim.timer` message, and every
 * datagram arrives as `swim.packet`, so the machine sees (and an inspector can show) everything
 * that drives it. Streams are handled by the logic directly (a stream object cannot be a message).
 * The packet fill (gossip-queue `gossip.fill`) and Serf's push/pull state (member-manager
 * `member.local-state`) are actor-to-actor asks with a short timeout; when one fails, the packet
 * goes with its own messages only / the push/pull with empty user state, and it is counted.
 *
 * Encryption: the keyring is built from `config.keys` (plain data) where the config is created, in
 * swim's own thread; datagrams that do not decrypt are counted (`counters.packetsUndecryptable`).
 *
 * The SwimNode and its wiring (swim-runner.ts) live in the factory's closure and the transport in a
 * per-env slot (io/transport-slot.ts), not in the XState context or events: those stay plain,
 * structured-cloneable data (the runtime copies them for snapshots and inspection). Membership is
 * soft state: after a supervised restart swim starts afresh on the same socket and rejoins
 * (member-manager keeps the members and reconnects), so nothing here is persisted.
 */
import { assertEvent, assign, enqueueActions, fromPromise, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { toWireError } from '../../src/errors/index.ts'
import type { WireError } from '../../src/errors/index.ts'
import { formatAddress } from '../../src/transport/transport.ts'
import type { SwimConfig } from './config.ts'
import type { SwimContext, SwimInput } from './swim-context.ts'
import { MAX_HELD, redactKeys } from './swim-context.ts'
import { SwimCounters } from './counters.ts'
import { createSwimConfig, LAN_SWIM_CONFIG, validateSwimName } from './config.ts'
import type { SwimInbound } from './protocol.ts'
import { createSwimRunner } from './swim-runner.ts'
import { closeSwimTransport, SwimBindError, swimTransportOf } from './io/transport-slot.ts'
import type { SwimBindInput, SwimBindOutput } from './io/transport-slot.ts'

export type { SwimBindInput, SwimBindOutput, SwimTransport } from './io/transport-slot.ts'
export { askTimeouts } from './swim-runner.ts'
export type { SwimContext, SwimInput } from './swim-context.ts'
export { MAX_HELD } from './swim-context.ts'

export function createSwimMachine(env: ActorEnv) {
  const runner = createSwimRunner(env)
  const swim = runner.node
  let input: SwimInput | undefined
  /** The port we advertise: the input's, or the bound one when the input asked for port 0. */
  let advertisedPort = 0
  /** The config the node runs with. The context shows it with the keyring redacted (key bytes never reach snapshots or inspection). */
  let config: SwimConfig = { ...LAN_SWIM_CONFIG }
  const leaveNow = () => {
    // Nothing was ever announced: the leave is complete at once (member-manager waits for it).
    runner.toMember({ type: 'member.swim-left' })
  }
  /** Messages every live state handles the same way (named actions are defined in setup). */
  const common = {
    'swim.packet': { actions: ['packet', 'mirror'] },
    'swim.timer': { actions: ['timer', 'mirror'] },
    'swim.join': { actions: 'join' },
    'member.reconnect': { actions: 'reconnect' },
    'member.local-meta-changed': { actions: ['metaChanged', 'mirror'] },
    'gossip.broadcast-finished': { actions: 'broadcastFinished' },
  } as const
  const hold = { actions: 'hold' } as const
  const refuse = { actions: 'refuse' } as const
  /** While there is no node yet (binding, starting): requests wait, traffic is refused. */
  const waiting = {
    'swim.join': hold,
    'member.reconnect': hold,
    'member.local-meta-changed': hold,
    'swim.leave': hold,
    'member.swim-leave': hold,
    // Only after a restart in place (the socket stays open): no node runs yet.
    'swim.packet': refuse,
    'swim.timer': refuse,
    'gossip.broadcast-finished': refuse,
    'runtime.shutdown': 'stopped',
  } as const

  return setup({
    types: {} as { context: SwimContext; events: SwimInbound | { type: 'swim.left' } | RuntimeEvent; input: SwimInput },
    actors: {
      // The placement provides the real one (swimBindActor); without it the actor fails, coded.
      bind: fromPromise<SwimBindOutput, SwimBindInput>(async () => {
        throw new SwimBindError(
          'ERR_SWIM_NO_TRANSPORT',
          'swim has no transport: spawn it in its worker placement, or inline with the implementations of actors/swim/io/swim-io.ts (swimIo(open))',
        )
      }),
      // member-manager's current Meta (undefined when it cannot say: counted in the runner).
      localMeta: fromPromise<Uint8Array | undefined, { config: SwimConfig }>(({ input: { config }, signal }) => runner.fetchLocalMeta(config, signal)),
    },
    actions: {
      packet: ({ event }) => {
        assertEvent(event, 'swim.packet')
        swim().onPacket(event.from, event.bytes)
      },
      timer: ({ event }) => {
        assertEvent(event, 'swim.timer')
        swim().onTimer(event.key)
      },
      join: ({ event }) => {
        assertEvent(event, 'swim.join')
        swim().join(event.addresses)
      },
      reconnect: ({ event }) => {
        assertEvent(event, 'member.reconnect')
        swim().joinNode(event.addr, event.port)
      },
      metaChanged: ({ event }) => {
        assertEvent(event, 'member.local-meta-changed')
        runner.updateMeta(event.meta)
      },
      broadcastFinished: ({ event }) => {
        assertEvent(event, 'gossip.broadcast-finished')
        swim().onBroadcastFinished(event.id)
      },
      hold: assign(({ context, event }) => {
        if (context.held.length < MAX_HELD) return { held: [...context.held, event as SwimInbound] }
        env.log.warn({ type: event.type, held: context.held.length }, 'swim: request refused before start (hold full)')
        return { heldOverflow: context.heldOverflow + 1 }
      }),
      refuse: assign(() => {
        runner.counts.refused++
        return { refused: runner.counts.refused }
      }),
      bound: assign(({ event }) => {
        const out = (event as unknown as { output: SwimBindOutput }).output
        // Port 0 in the input: advertise the port the socket got.
        advertisedPort = input!.port === 0 ? out.port : input!.port
        env.log.info({ address: out.address, advertised: advertisedPort }, 'swim bound')
        return { address: formatAddress(input!.addr, advertisedPort) }
      }),
      start: assign(({ event }) => {
        const transport = swimTransportOf(env)
        const start = input
        if (transport === undefined || start === undefined) throw new Error('swim: started without a transport')
        const meta = (event as { output?: Uint8Array | undefined }).output ?? runner.fallbackMeta(start.meta)
        const node = runner.start(config, transport, { name: start.name, addr: start.addr, port: advertisedPort, ...(meta === undefined ? {} : { meta }) })
        if (start.join !== undefined && start.join.length > 0) node.join(start.join)
        return runner.mirror()
      }),
      replayHeld: enqueueActions(({ context, enqueue }) => {
        for (const m of context.held) enqueue.raise(m)
        enqueue.assign({ held: [] })
      }),
      bindFailed: assign(({ event }) => {
        const error = toWireError((event as unknown as { error: unknown }).error)
        env.log.error({ err: error }, 'swim cannot bind its transport; the actor stays failed')
        return { bindError: error }
      }),
      configFailed: ({ context }) => env.log.error({ err: context.configError }, 'swim refuses its config; the actor stays failed'),
      failedLeave: () => leaveNow(),
      mirror: assign(() => runner.mirror()),
    },
  }).createMachine({
    id: 'swim',
    context: ({ input: given }) => {
      let configError: WireError | undefined
      try {
        config = createSwimConfig(given.config ?? {}, given.preset ?? 'lan')
        validateSwimName(given.name)
      } catch (err) {
        // A bad config is input, not a crash: restarting cannot fix it. The actor goes to `failed`.
        config = { ...LAN_SWIM_CONFIG }
        configError = toWireError(err)
      }
      runner.setPeers(given.peers)
      // A (re)start: the previous node, its timers and its pending asks end here.
      runner.stop()
      input = given
      return {
        config: redactKeys(config),
        name: given.name,
        peers: { ...runner.peers },
        address: '',
        bindError: undefined,
        configError,
        held: [],
        heldOverflow: 0,
        incarnation: 1,
        healthScore: 0,
        numNodes: 0,
        counters: { ...new SwimCounters() },
        ...runner.counts,
      }
    },
    initial: 'configured',
    states: {
      configured: {
        always: [{ guard: ({ context }) => context.configError !== undefined, target: 'failed', actions: 'configFailed' }, { target: 'binding' }],
      },
      binding: {
        invoke: {
          id: 'bind',
          src: 'bind',
          input: () => ({ addr: input!.addr, port: input!.port, ...(input!.bind === undefined ? {} : { bind: input!.bind }) }),
          onDone: { target: 'starting', actions: 'bound' },
          onError: { target: 'failed', actions: 'bindFailed' },
        },
        on: waiting,
      },
      starting: {
        invoke: {
          id: 'localMeta',
          src: 'localMeta',
          input: () => ({ config }),
          onDone: { target: 'running', actions: ['start', 'replayHeld'] },
          // fetchLocalMeta never rejects; should a provided one, start with the Meta we know.
          onError: { target: 'running', actions: ['start', 'replayHeld'] },
        },
        on: waiting,
      },
      running: {
        on: {
          ...common,
          'swim.leave': { target: 'leaving', actions: ({ event }) => swim().leave(event.timeoutMs) },
          'member.swim-leave': { target: 'leaving', actions: ({ event }) => swim().leave(event.timeoutMs ?? config.probeIntervalMs * 5) },
          'runtime.shutdown': 'stopped',
        },
      },
      leaving: {
        on: {
          ...common,
          'swim.left': 'left',
          'runtime.shutdown': 'stopped',
        },
      },
      left: {
        // Still answering probes and gossiping until shutdown, as memberlist does after Leave.
        on: { ...common, 'runtime.shutdown': 'stopped' },
      },
      failed: {
        // Not final: the actor keeps answering (a leave completes at once) and counts what it refuses.
        on: {
          'swim.leave': { actions: 'failedLeave' },
          'member.swim-leave': { actions: 'failedLeave' },
          'swim.packet': refuse,
          'swim.timer': refuse,
          'swim.join': refuse,
          'member.reconnect': refuse,
          'member.local-meta-changed': refuse,
          'gossip.broadcast-finished': refuse,
          'runtime.shutdown': 'stopped',
        },
      },
      stopped: {
        type: 'final',
        entry: () => {
          runner.stop()
          closeSwimTransport(env)
        },
      },
    },
  })
}

export type SwimMachine = ReturnType<typeof createSwimMachine>

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
 * transport), like a config or a join address that does not validate (`configError`), is a coded
 * error in `failed`, never a crash. With port 0 in the input, the bound port is advertised.
 *
 * Every timer of the logic (probe tick, probe timeout and deadline, relays, suspicions, gossip,
 * push/pull) is scheduled on the actor clock and comes back as a `swim.timer` message, and every
 * datagram arrives as `swim.packet`, and every TCP stream's news (accepted, a dial's outcome, bytes,
 * the end) as `swim.stream` (stream-gate.ts: the stream object stays in the runner, its news is
 * data), so the machine sees (and an inspector can show) everything that drives it.
 *
 * No ask on the packet path: at every start swim tells gossip-queue `gossip.lease-subscribe`, and
 * takes the `gossip.lease`s it pushes in every state; each packet (an ack as much as a gossip) is
 * filled from the lease and sent in the turn that made it, and what was piggybacked goes back as a
 * batched `gossip.sent` (piggyback.ts). Serf's push/pull state (member-manager `member.local-state`)
 * is an actor-to-actor ask with a short timeout; when it fails, the push/pull goes with empty user
 * state, and it is counted.
 *
 * Encryption: the keyring is built from `config.keys` (plain data) where the config is created, in
 * swim's own thread; datagrams that do not decrypt are counted (`counters.packetsUndecryptable`).
 * `swim.keyring` changes the ring live (keyring-ops.ts: install, use, remove, list, in every
 * state): the running node seals and opens with the new ring from its next packet, and the ring
 * goes into the context as `liveKeys` (persisted: a restart keeps it, as Serf keeps its keyring
 * file), which is then the ring a (re)start uses instead of the config's. These are key bytes in
 * the snapshot, as they are in Serf's keyring file; they are there only once an operation changed
 * the ring. Each change is emitted as `swim.keyring-changed`.
 *
 * The seam: swim's core (swim-core.ts) takes each input as a step and returns its effects as plain
 * data (effects.ts); every action that runs a step (packet, timer, join, leave, Meta, a finished
 * broadcast) carries them out through the runner's runEffects (swim-runner.ts) and assigns, in the
 * same action, the state the step returned: the core's own (incarnation, health score, member
 * count, counters: plain data, never changed once handed out) and the runner's beside it (its
 * counts, the lease, the member feed). There is no separate mirror action. The named actions are
 * in machine-actions.ts; this file keeps the states and what each one takes.
 *
 * What stays out of the context, and why: the node table (with the probe list, suspicions and
 * timers' bookkeeping) is a persisted projection. The context keeps what a restart needs of it
 * (numNodes, knownPeers: up to 16 members to rejoin, the incarnation to start above), not the
 * table itself: persisting a 1,000-member table costs ~700 us per turn against ~6 us for the turn
 * (bench/swim/packet-cost.ts), and a restored node rebuilds the table from its peers by push/pull
 * anyway. The core object holding it lives in the runner, in the factory's closure; the transport
 * lives in the actor's resource slots (env.resources, held by the placement's bind:
 * transport-slot.ts); a stream the transport accepts is held by the runner's gate and reaches
 * the core's `accept` when its `swim.stream` is dispatched. A
 * restart in place finds the transport still held; the `stopped` state releases it.
 *
 * The rest of the closure is derived or handles, not protocol state: the spawn input and the
 * config built from it (machine-config.ts; with the keyring, whose bytes must never be persisted;
 * both are read again from the actor's options at a restore), the join addresses parsed with it, and in the runner the
 * timers' handles, the pending asks' abort signal, the member feed's unsent batch and the
 * piggyback lease's entries (their bytes: the context keeps the lease's view, and gossip-queue
 * sends a fresh lease to every subscribe). Protocol state that a restart needs is in the context:
 * the Meta the node last had (knownMeta), the retry-join schedule and its jitter stream.
 *
 * Joins: a join that reaches no one is counted (`joinFailures`) and kept with its reasons
 * (`lastJoinError`, ERR_SWIM_JOIN). Serf's retry-join (`config.retryJoin`) is retried with backoff
 * on the actor clock until it succeeds or gives up (join-retry.ts), each outcome arriving as the
 * internal `swim.join-result`.
 *
 * Restarts: the definition persists the context, and a restart (in place after a crash, or in a new
 * thread after the old one died) restores it and gets `runtime.restored`. Every live state answers
 * it by binding again: in place the open transport is reused; in a new thread the transport opens
 * on the persisted `bound` address, never on a new port (ERR_SWIM_REBIND, state `failed`, if it is
 * taken), so peers still reach the node where they know it. The node then starts above its
 * persisted incarnation, keeps its counters, and rejoins the members it knew (`knownPeers`, with
 * the configured join addresses), retried like retry-join until one answers; a node restored while
 * leaving or left leaves again. XState does not run the context factory on a restore, so the spawn
 * input (the keys included, which are never persisted) is read back from the actor's options.
 */
import { assign, fromPromise, setup } from 'xstate'
import type { ActorEnv } from '../../src/types/actor-env.ts'
import { createMachineConfig, initialContext } from './machine-config.ts'
import { askTimeouts, createSwimRunner, RETRY_JOIN_TIMER } from './swim-runner.ts'
import { LEASE_REPORT_TIMER } from './piggyback.ts'
import { closeSwimTransport, SwimBindError } from './transport-slot.ts'
import type { SwimBindInput, SwimBindOutput } from './transport-slot.ts'
import { swimActions } from './machine-actions.ts'
import type { SwimMachineTypes } from './machine-actions.ts'

export type { SwimBindInput, SwimBindOutput, SwimTransport } from './transport-slot.ts'
export { askTimeouts } from './swim-runner.ts'
export type { SwimContext, SwimInput } from './swim-context.ts'
export { MAX_HELD } from './swim-context.ts'

export function createSwimMachine(env: ActorEnv) {
  const runner = createSwimRunner(env)
  const cfg = createMachineConfig((peers) => runner.setPeers(peers))
  const restoreTarget = { target: 'binding', reenter: true, actions: 'restore' } as const
  /** Messages every live state handles the same way (named actions are defined in setup). */
  const common = {
    'swim.packet': { actions: 'packet' },
    'swim.stream': { actions: 'stream' },
    'swim.timer': [
      { guard: ({ event }: { event: { key: string } }) => event.key === RETRY_JOIN_TIMER, actions: 'retryAttempt' },
      { guard: ({ event }: { event: { key: string } }) => event.key === LEASE_REPORT_TIMER, actions: 'reportLease' },
      { actions: 'timer' },
    ],
    'swim.join': { actions: 'join' },
    'swim.join-result': { actions: 'joinResult' },
    'member.reconnect': { actions: 'reconnect' },
    'member.local-meta-changed': { actions: 'metaChanged' },
    'member.user-state': { actions: 'userStateTold' },
    'gossip.broadcast-finished': { actions: 'broadcastFinished' },
    'member.nodes-resync': { actions: () => runner.resyncMembers() },
    'swim.send-user': { actions: 'sendUser' },
    'swim.send-gossamer': { actions: 'sendGossamer' },
  } as const
  const hold = { actions: 'hold' } as const
  const refuse = { actions: 'refuse' } as const
  /** While there is no node yet (binding, starting): requests wait, traffic is refused. */
  const waiting = {
    'swim.join': hold,
    'member.reconnect': hold,
    'member.local-meta-changed': hold,
    // Kept by the runner for the node to come (a cache: the latest one wins).
    'member.user-state': { actions: 'userStateTold' },
    'swim.leave': hold,
    'member.swim-leave': hold,
    'member.nodes-resync': hold,
    // Only after a restart in place (the socket stays open): no node runs yet.
    'swim.packet': refuse,
    'swim.stream': { actions: 'stream' },
    'swim.timer': refuse,
    'swim.join-result': refuse,
    'gossip.broadcast-finished': refuse,
    // Best effort, never queued: no node, no datagram (counted).
    'swim.send-user': refuse,
    'swim.send-gossamer': refuse,
    'runtime.restored': restoreTarget,
    'runtime.shutdown': 'stopped',
  } as const

  return setup({
    types: {} as SwimMachineTypes,
    actors: {
      // The placement provides the real one (swimBindActor); without it the actor fails, coded.
      bind: fromPromise<SwimBindOutput, SwimBindInput>(async () => {
        throw new SwimBindError(
          'ERR_SWIM_NO_TRANSPORT',
          'swim has no transport: spawn it in its worker placement, or inline with the implementations of actors/swim/io/swim-io.ts (swimIo(open))',
        )
      }),
      // member-manager's current Meta (undefined when it cannot say: counted in the runner).
      // Its input is plain data (it is persisted with the snapshot): the timeout, never the config and its keyring.
      localMeta: fromPromise<Uint8Array | undefined, { timeoutMs: number }>(({ input: { timeoutMs }, signal }) => runner.fetchLocalMeta(timeoutMs, signal)),
    },
    actions: swimActions(env, runner, cfg),
  }).createMachine({
    id: 'swim',
    context: ({ input: given }) => {
      const configError = cfg.configure(given)
      // A (re)start without a snapshot: the previous node, its timers and its pending asks end here.
      runner.stop()
      return initialContext(given, cfg.config, configError, runner.peers, runner.counts)
    },
    initial: 'configured',
    // The lease is gossip-queue's news, taken whatever the node is doing (without a node it waits
    // for the first packet). `stopped` is final: nothing reaches it there.
    on: { 'gossip.lease': { actions: 'lease' }, 'swim.keyring': { actions: 'keyring' }, 'swim.coordinate': { actions: 'coordinate' } },
    states: {
      configured: {
        always: [{ guard: ({ context }) => context.configError !== undefined, target: 'failed', actions: 'configFailed' }, { target: 'binding' }],
      },
      binding: {
        invoke: {
          id: 'bind',
          src: 'bind',
          input: ({ context }) => ({
            addr: cfg.input!.addr,
            port: cfg.input!.port,
            ...(cfg.input!.bind === undefined ? {} : { bind: cfg.input!.bind }),
            limits: { idleTimeoutMs: cfg.config.streamIdleTimeoutMs, maxInboundStreams: cfg.config.maxInboundStreams },
            // Bound before a restore: that address again, or a coded failure (never a new port).
            ...(context.bound === '' ? {} : { rebind: context.bound }),
          }),
          onDone: { target: 'starting', actions: 'bound' },
          onError: { target: 'failed', actions: 'bindFailed' },
        },
        on: waiting,
      },
      starting: {
        invoke: {
          id: 'localMeta',
          src: 'localMeta',
          input: () => ({ timeoutMs: askTimeouts(cfg.config).localMetaMs }),
          onDone: { target: 'running', actions: ['start', 'replayHeld'] },
          // fetchLocalMeta never rejects; should a provided one, start with the Meta we know.
          onError: { target: 'running', actions: ['start', 'replayHeld'] },
        },
        on: waiting,
      },
      running: {
        on: {
          ...common,
          'swim.leave': { target: 'leaving', actions: ['endRetry', assign(({ event }) => runner.step({ type: 'leave', timeoutMs: event.timeoutMs }))] },
          'member.swim-leave': { target: 'leaving', actions: ['endRetry', assign(({ event }) => runner.step({ type: 'leave', timeoutMs: event.timeoutMs ?? cfg.config.probeIntervalMs * 5 }))] },
          'runtime.restored': restoreTarget,
          'runtime.shutdown': 'stopped',
        },
      },
      leaving: {
        on: {
          ...common,
          'swim.left': 'left',
          'runtime.restored': { ...restoreTarget, actions: ['restore', 'leaveAgain'] },
          'runtime.shutdown': 'stopped',
        },
      },
      left: {
        // Still answering probes and gossiping until shutdown, as memberlist does after Leave.
        on: { ...common, 'runtime.restored': { ...restoreTarget, actions: ['restore', 'leaveAgain'] }, 'runtime.shutdown': 'stopped' },
      },
      failed: {
        // Not final: the actor keeps answering (a leave completes at once) and counts what it refuses.
        on: {
          'swim.leave': { actions: 'failedLeave' },
          'member.swim-leave': { actions: 'failedLeave' },
          // A cache, kept as in every state (nothing reads it while no node runs).
          'member.user-state': { actions: 'userStateTold' },
          'swim.packet': refuse,
          'swim.stream': { actions: 'stream' },
          'swim.timer': refuse,
          'swim.join': refuse,
          'member.reconnect': refuse,
          'member.local-meta-changed': refuse,
          'gossip.broadcast-finished': refuse,
          'swim.join-result': refuse,
          'swim.send-user': refuse,
          'swim.send-gossamer': refuse,
          // Restored in `failed` (the config or the address was refused): it stays failed, answering.
          'runtime.restored': { actions: 'reconfigure' },
          'member.nodes-resync': refuse,
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

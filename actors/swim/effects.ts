/**
 * What swim's core (swim-core.ts) asks of the world, as plain data. Its entry point, `step(input)`,
 * returns these instead of calling ports; whoever runs the core (the actor's runner, the simulator,
 * a test) carries them out in order with `runSwimEffects`. A packet's send result goes back into
 * the core as the `packet-sent` input (it is counted there, and a gossip tick goes on to its next
 * target with it), so one runner handles every effect the same way.
 *
 * swim's one ask, Serf's user state for a push/pull, is an effect too (`ask-user-state`, with an
 * id the core hands out); its answer comes back as the `user-state` input with that id, so what
 * the core decides on it comes out of that step. A dial is an effect, carried out in its place
 * among the others (a simulated network draws its randomness in that order); the stream it opens
 * is not data, so it comes back through `dialed(id, ...)`. Streams stay callbacks to the core: what
 * it decides in them (a dial's outcome, a stream's bytes), outside a step, goes to `SwimEnv.run` at
 * once. In the actor those callbacks come in turns of the machine (the runner's stream-gate.ts
 * delivers each as a `swim.stream` message), so `run` is part of a turn there too.
 *
 * Append-only unions keyed on `type`, like the protocols.
 */
import type { Stream, TransportAddress, TransportError } from '../../src/transport/transport.ts'
import type { NodeRecord } from './node-table.ts'
import type { JoinAddressError } from '../member-manager/protocol.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { JoinReply } from './protocol.ts'

/** One outbound datagram request; the sender completes it with piggybacked broadcasts. */
export interface PacketRequest {
  to: TransportAddress
  /** Encoded messages that must go (ping, ack, ...). Empty for a gossip-only packet. */
  messages: Uint8Array[]
  /** Fill the rest of the UDP budget from the broadcast queues (memberlist sendMsg / gossip). */
  piggyback: boolean
  /** Wrap in a CRC (the destination is a known node with PMax ≥ 5). */
  crc: boolean
}

/**
 * What became of one packet request at the sending side (loss in flight is not visible here):
 * handed to the transport ('sent'), nothing to send (a gossip-only request whose fill came back
 * empty), refused by the transport ('too-large', 'closed', the transport's SendOutcome), thrown
 * by the transport or the encoder ('failed', with the error's code), or handed to a transport
 * that said nothing about it ('unconfirmed').
 */
export type PacketResult = 'sent' | 'empty' | 'too-large' | 'closed' | 'failed' | 'unconfirmed'

/** Where a suspicion came from (see SwimOutput 'suspect'). */
export type SuspicionCause = 'probe' | 'gossip' | 'push-pull'

/** What swim reports to member-manager and to whoever runs it. */
export type SwimOutput =
  | { type: 'node-joined'; node: NodeRecord }
  | { type: 'node-updated'; node: NodeRecord }
  | { type: 'node-left'; node: NodeRecord }
  | { type: 'user-message'; bytes: Uint8Array; from: TransportAddress }
  /** `reconnect`: the join was Serf's reconnect of a known member (no join intent follows it). */
  /** `purpose` and `addresses`: a join the runner tracks (join-retry.ts); `replyTo`: who asked for it. Carried back unchanged. */
  /** `errors`: each failure's message; `failures`: the same, coded, with the address (join-errors.ts). */
  | { type: 'join-completed'; numJoined: number; errors: string[]; failures?: JoinAddressError[]; reconnect?: boolean; purpose?: string; addresses?: string[]; replyTo?: ReplyTo<JoinReply> }
  | { type: 'left' }
  | { type: 'conflict'; existing: NodeRecord; other: { node: string; addr: Uint8Array; port: number } }
  | { type: 'cluster-size'; numNodes: number }
  /**
   * We began suspecting `node` (it was alive to us). `cause`: our own failed probe, a suspect
   * message from a peer, or a push/pull that listed it suspect or dead (memberlist then suspects it
   * with From = us).
   */
  | { type: 'suspect'; node: string; from: string; cause?: SuspicionCause }
  /** We answered a message about us (`refutes`: which, and its accuser) with an alive at `incarnation`. */
  | { type: 'refuted'; incarnation: number; refutes?: { message: 'alive' | 'suspect' | 'dead'; from?: string } }
  /** This node's suspicion timer about `node` ran out and it declared the node dead; `confirmations`: the suspicion's, from other members. */
  | { type: 'declared-dead'; node: string; confirmations: number }

/** The rest of a gossip tick (memberlist gossip()): the targets, and which one the packet went to. */
export interface GossipRound {
  targets: string[]
  index: number
}

/** One datagram to send (filled from the broadcasts when `piggyback`); its result comes back as `packet-sent`. */
export interface SendPacketEffect extends PacketRequest {
  type: 'send-packet'
  /** Set on a gossip packet: an 'empty' result ends the tick, any other sends to the next target. */
  gossip?: GossipRound
  /** 'user': a `swim.send-user` datagram (its result is counted apart too: userMessagesSent / Failed / TooLarge). */
  cause?: 'user'
}

export type SwimEffect =
  | SendPacketEffect
  /** A named memberlist broadcast (replaces queued ones about the same node); `notifyId`: tell us when it leaves the queue. */
  | { type: 'enqueue-broadcast'; name: string; message: Uint8Array; notifyId?: string }
  /** Arms (or re-arms) the timer `key`; when due, feed `{ type: 'timer', key }` back. */
  | { type: 'set-timer'; key: string; delayMs: number }
  | { type: 'cancel-timer'; key: string }
  /** Serf's MergeRemoteState: the remote user state of a push/pull, passed through unchanged. */
  | { type: 'merge-user-state'; bytes: Uint8Array; join: boolean }
  /** What swim reports (member changes, joins, leave, sizes, suspicions): see SwimOutput. */
  | { type: 'output'; output: SwimOutput }
  /** Opens a stream to `to` within `timeoutMs`; the outcome goes to the core's `dialed(id, ...)`. */
  | { type: 'dial'; id: number; to: TransportAddress; timeoutMs: number }
  /**
   * Serf's LocalState for a push/pull (`join`: a join's). Answer it with the `user-state` input of
   * the same id, always (empty bytes when the state could not be had), unless the core stopped.
   */
  | { type: 'ask-user-state'; id: number; join: boolean }

/** What became of one send-packet effect at the sending side. */
export interface PacketSent {
  result: PacketResult
  /** Broadcasts piggybacked on it. */
  piggybacked: number
  /** The error's code for 'failed'. */
  errorCode?: string
}

/** The inputs of the core's `step`. */
export type SwimCoreInput =
  /** Starts the tickers. `steadyState`: stagger push/pull over the scaled interval (simulation warm starts). */
  | { type: 'start'; steadyState?: boolean }
  /** Stops every ticker and timer (shutdown, or the end of the node at a restart). */
  | { type: 'stop' }
  | { type: 'timer'; key: string }
  | { type: 'packet'; from: TransportAddress; bytes: Uint8Array }
  | { type: 'packet-sent'; effect: SendPacketEffect; sent: PacketSent }
  /** memberlist Join (push/pull Join=true with each address); `reconnect`: Serf's reconnect of a known member. */
  | { type: 'join'; addresses: readonly TransportAddress[]; reconnect?: boolean; purpose?: string; replyTo?: ReplyTo<JoinReply> }
  /** memberlist Leave: dead{self, From: self}; output `left` once it spread or timed out. */
  | { type: 'leave'; timeoutMs: number }
  /** gossip-queue says a broadcast that asked for it left the queue. */
  | { type: 'broadcast-finished'; notifyId: string }
  /** memberlist UpdateNode: new Meta, a fresh incarnation, broadcast. */
  | { type: 'meta'; meta: Uint8Array }
  /** memberlist SendBestEffort: `bytes` (`[serfType][msgpack]`) as one user message (0x08) to `to`, no piggyback. */
  | { type: 'send-user'; to: TransportAddress; bytes: Uint8Array }
  /**
   * Broadcasts wait (a lease with entries came): a gossip tick parked by env.broadcastsWaiting
   * resumes; `fresh` (an entry this node never sent) may bring the next round forward (swim-core.ts).
   */
  | { type: 'broadcasts-waiting'; fresh?: boolean }
  /** The answer to the `ask-user-state` effect `id`: Serf's push/pull user state (raw bytes, may be empty). */
  | { type: 'user-state'; id: number; bytes: Uint8Array }
  /**
   * member-manager's latest Serf user state, told ahead of time (`member.user-state`): a push/pull
   * from now on carries it without an `ask-user-state` effect (StepOutbox.askUserState).
   */
  | { type: 'user-state-told'; bytes: Uint8Array }

/** What the core reads from its surroundings, and where effects decided in stream callbacks go (see the header). */
export interface SwimEnv {
  now(): number
  /** A float in [0, 1) from the node's seeded source. */
  random(): number
  /** Nonces for encryption; omitted: crypto-random (never derive real nonces from a seeded source). */
  nonce?: () => Uint8Array
  /** Carries out effects decided outside a step (in a stream or dial callback), at once. */
  run(effects: SwimEffect[]): void
  /**
   * Whether a gossip packet could carry anything now (the actor: its lease holds entries, or no
   * lease came yet). A gossip tick that finds nothing is not re-armed (an idle node wakes for its
   * probes only) until the `broadcasts-waiting` input. Omitted: always (memberlist's fixed ticker;
   * the simulator).
   */
  broadcastsWaiting?: () => boolean
}

/** How the effects are carried out: one handler per kind (the send's result is fed back by runSwimEffects). */
export interface SwimEffectHandlers {
  setTimer(key: string, delayMs: number): void
  cancelTimer(key: string): void
  sendPacket(req: SendPacketEffect): PacketSent
  enqueueBroadcast(name: string, message: Uint8Array, notifyId?: string): void
  mergeRemoteUserState(bytes: Uint8Array, join: boolean): void
  emit(output: SwimOutput): void
  dial(to: TransportAddress, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void
  /** Asks for Serf's user state; the answer goes back to the core as the `user-state` input `id`. */
  askUserState(id: number, join: boolean): void
}

/** A dial's outcome: an error, or the stream. */
export type DialCallback = (err: TransportError | undefined, stream?: Stream) => void

/** What runSwimEffects feeds back into: the core's step (send results) and its dials' outcomes. */
export interface SwimEffectTarget {
  /** A step whose state is not read (SwimCore.advance). */
  advance(input: SwimCoreInput): SwimEffect[]
  dialed(id: number, err: TransportError | undefined, stream?: Stream): void
}

/**
 * Carries out `effects` in order. A packet's result goes back to the core as `packet-sent`, and
 * the effects of that step run before the next effect of this list, as a send's consequences
 * (counting, the gossip tick's next packet) came right after the send when the core called ports.
 */
export function runSwimEffects(core: SwimEffectTarget, effects: readonly SwimEffect[], h: SwimEffectHandlers): void {
  for (const e of effects) {
    switch (e.type) {
      case 'send-packet': {
        const sent = h.sendPacket(e)
        runSwimEffects(core, core.advance({ type: 'packet-sent', effect: e, sent }), h)
        break
      }
      case 'enqueue-broadcast':
        h.enqueueBroadcast(e.name, e.message, e.notifyId)
        break
      case 'set-timer':
        h.setTimer(e.key, e.delayMs)
        break
      case 'cancel-timer':
        h.cancelTimer(e.key)
        break
      case 'merge-user-state':
        h.mergeRemoteUserState(e.bytes, e.join)
        break
      case 'output':
        h.emit(e.output)
        break
      case 'dial':
        h.dial(e.to, e.timeoutMs, (err, stream) => core.dialed(e.id, err, stream))
        break
      case 'ask-user-state':
        h.askUserState(e.id, e.join)
        break
    }
  }
}

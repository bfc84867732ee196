/**
 * What the swim logic needs from its surroundings. The XState machine provides these through its
 * actor implementations; the simulator provides them directly on one simulated clock. Every port
 * is a tell or a callback: nothing here blocks or returns a Promise, so a synchronous simulation
 * step sees every effect at the right simulated time.
 */
import type { Stream, TransportAddress } from '../../src/transport/transport.ts'
import type { TransportError } from '../../src/transport/transport.ts'
import type { NodeRecord } from './node-table.ts'

/** One outbound datagram request; the sender completes it with piggybacked broadcasts. */
export interface PacketRequest {
  to: TransportAddress
  /** Encoded messages that must go (ping, ack, ...). Empty for a gossip-only packet. */
  messages: Uint8Array[]
  /** Fill the rest of the UDP budget from the broadcast queues (memberlist sendMsg / gossip). */
  piggyback: boolean
  /** Wrap in a CRC (the destination is a known node with PMax ≥ 5). */
  crc: boolean
  /**
   * Told once what became of the request at the sending side (send-pipeline.ts calls it), with
   * the number of piggybacked broadcasts and, for 'failed', the error's code. Swim counts the
   * outcomes and chains its gossip on them.
   */
  done?: (result: PacketResult, piggybacked: number, errorCode?: string) => void
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
  | { type: 'join-completed'; numJoined: number; errors: string[]; reconnect?: boolean }
  | { type: 'left' }
  | { type: 'conflict'; existing: NodeRecord; other: { node: string; addr: Uint8Array; port: number } }
  | { type: 'cluster-size'; numNodes: number }
  /**
   * We began suspecting `node` (it was alive to us). `cause`: our own failed probe, a suspect
   * message from a peer, or a push/pull that listed it suspect or dead (memberlist then suspects it
   * with From = us).
   */
  | { type: 'suspect'; node: string; from: string; cause?: SuspicionCause }
  | { type: 'refuted'; incarnation: number }
  /** This node's suspicion timer about `node` ran out and it declared the node dead. */
  | { type: 'declared-dead'; node: string }

export interface SwimPorts {
  now(): number
  /** A float in [0, 1) from the node's seeded source. */
  random(): number
  /** Nonces for encryption; omitted: crypto-random (never derive real nonces from a seeded source). */
  nonce?: () => Uint8Array
  /** Arms (or re-arms) the timer `key`; when due, the runner calls `onTimer(key)`. */
  setTimer(key: string, delayMs: number): void
  cancelTimer(key: string): void
  sendPacket(req: PacketRequest): void
  /** A named memberlist broadcast (replaces queued ones about the same node). */
  enqueueBroadcast(name: string, message: Uint8Array, notifyId?: string): void
  dial(to: TransportAddress, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void
  /** Serf's LocalState for a push/pull (raw bytes, may be empty); answered through `cb`. */
  localUserState(join: boolean, cb: (bytes: Uint8Array) => void): void
  /** Serf's MergeRemoteState: the remote user state, passed through unchanged. */
  mergeRemoteUserState(bytes: Uint8Array, join: boolean): void
  emit(output: SwimOutput): void
}

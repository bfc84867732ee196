/**
 * SwimPorts: the callbacks on which SwimNode (swim-node.ts) carries out the core's effects for the simulator and
 * hand-wired tests, on one simulated clock. Every port is a tell or a callback: nothing here blocks
 * or returns a Promise, so a synchronous simulation step sees every effect at the right simulated
 * time. The actor's runner runs the effects itself (swim-runner.ts).
 */
import type { Stream, TransportAddress } from '../../src/transport/transport.ts'
import type { TransportError } from '../../src/transport/transport.ts'
import type { PacketRequest, PacketSent, SwimOutput } from './effects.ts'

export type { PacketRequest, PacketResult, PacketSent, SuspicionCause, SwimOutput } from './effects.ts'

export interface SwimPorts {
  now(): number
  /** A float in [0, 1) from the node's seeded source. */
  random(): number
  /** Nonces for encryption; omitted: crypto-random (never derive real nonces from a seeded source). */
  nonce?: () => Uint8Array
  /** Arms (or re-arms) the timer `key`; when due, the runner calls `onTimer(key)`. */
  setTimer(key: string, delayMs: number): void
  cancelTimer(key: string): void
  /** Sends one packet (sendPacketRequest) and says what became of it. */
  sendPacket(req: PacketRequest): PacketSent
  /** A named memberlist broadcast (replaces queued ones about the same node). */
  enqueueBroadcast(name: string, message: Uint8Array, notifyId?: string): void
  dial(to: TransportAddress, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void
  /** Serf's LocalState for a push/pull (raw bytes, may be empty); answered through `cb`. */
  localUserState(join: boolean, cb: (bytes: Uint8Array) => void): void
  /** Serf's MergeRemoteState: the remote user state, passed through unchanged. */
  mergeRemoteUserState(bytes: Uint8Array, join: boolean): void
  emit(output: SwimOutput): void
}

/**
 * SwimNode: swim's core (swim-core.ts) with its effects carried out at once on ports (ports.ts),
 * for the simulator (sim/sim-node.ts) and the tests that wire a node by hand. Each request runs one
 * core step and then its effects, in order (runSwimEffects). The swim actor does not use it: its
 * runner runs the effects itself (swim-runner.ts).
 */
import type { Stream, TransportAddress } from '../../src/transport/transport.ts'
import type { SwimConfig } from './config.ts'
import type { SwimCoreInput, SwimEffect, SwimEffectHandlers } from './effects.ts'
import { runSwimEffects } from './effects.ts'
import type { SwimPorts } from './ports.ts'
import { SwimCore } from './swim-core.ts'
import type { SwimIdentity } from './swim-core.ts'

export { pushPullScale, TIMER } from './swim-core.ts'
export type { SwimIdentity } from './swim-core.ts'

export class SwimNode extends SwimCore {
  private readonly handlers: SwimEffectHandlers
  readonly ports: SwimPorts

  constructor(config: SwimConfig, identity: SwimIdentity, ports: SwimPorts) {
    const box: { node?: SwimNode } = {}
    super(config, identity, {
      now: () => ports.now(),
      random: () => ports.random(),
      ...(ports.nonce === undefined ? {} : { nonce: ports.nonce }),
      run: (effects) => box.node!.run(effects),
    })
    box.node = this
    this.ports = ports
    this.handlers = {
      setTimer: (key, delayMs) => ports.setTimer(key, delayMs),
      cancelTimer: (key) => ports.cancelTimer(key),
      sendPacket: (req) => ports.sendPacket(req),
      enqueueBroadcast: (name, message, notifyId) => ports.enqueueBroadcast(name, message, notifyId),
      mergeRemoteUserState: (bytes, join) => ports.mergeRemoteUserState(bytes, join),
      emit: (output) => ports.emit(output),
      dial: (to, timeoutMs, cb) => ports.dial(to, timeoutMs, cb),
      // Serf's user state: the port answers through a callback, which goes back in as the input.
      askUserState: (id, join) => ports.localUserState(join, (bytes) => this.request({ type: 'user-state', id, bytes })),
    }
  }

  /** Carries out effects the core decided (in a step, or outside one: stream and dial callbacks). */
  run(effects: readonly SwimEffect[]): void {
    runSwimEffects(this, effects, this.handlers)
  }

  private request(input: SwimCoreInput): void {
    this.run(this.advance(input))
  }

  start(options: { steadyState?: boolean } = {}): void {
    this.request(options.steadyState === true ? { type: 'start', steadyState: true } : { type: 'start' })
  }

  stop(): void {
    this.request({ type: 'stop' })
  }

  onTimer(key: string): void {
    this.request({ type: 'timer', key })
  }

  onPacket(from: TransportAddress, bytes: Uint8Array): void {
    this.request({ type: 'packet', from, bytes })
  }

  onStream(stream: Stream): void {
    this.accept(stream)
  }

  join(addresses: readonly TransportAddress[]): void {
    this.request({ type: 'join', addresses })
  }

  /** Serf's reconnect: join one known node by its raw IP and port (join-completed says reconnect). */
  joinNode(addr: Uint8Array, port: number): void {
    this.request({ type: 'join', addresses: [this.reconnectAddress(addr, port)], reconnect: true })
  }

  leave(timeoutMs: number): void {
    this.request({ type: 'leave', timeoutMs })
  }

  onBroadcastFinished(notifyId: string): void {
    this.request({ type: 'broadcast-finished', notifyId })
  }

  updateMeta(meta: Uint8Array): void {
    this.request({ type: 'meta', meta })
  }

  /** member-manager's user state, told ahead of time: push/pulls carry it without asking `localUserState`. */
  userStateTold(bytes: Uint8Array): void {
    this.request({ type: 'user-state-told', bytes })
  }
}

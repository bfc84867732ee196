/**
 * One swim node wired by hand, for the tests of its streams (push/pull, stream limits, the user
 * state), on a MemoryNetwork or on a transport of the test's own (real sockets): swim's ports with the defaults those tests share (timers on the
 * simulated clock, packets unconfirmed, no broadcasts, dials on the node's transport, the Serf
 * user state answered at once and empty, nothing merged, outputs dropped), any of them replaced
 * by `ports`, and its accepted streams handed to the node (or to `accept`, which may wrap them).
 */
import type { SwimConfig } from '../../../../actors/swim/config.ts'
import type { SwimPorts } from '../../../../actors/swim/ports.ts'
import { SwimNode } from '../../../../actors/swim/swim-node.ts'
import type { MemoryNetwork, MemoryTransport } from '../../../../src/transport/memory-network.ts'
import type { SimulatedClock } from '../../../../src/runtime/simulated-clock.ts'
import type { Stream, StreamLimits, Transport } from '../../../../src/transport/transport.ts'
import type { RandomSource } from '../../../../src/types/random.ts'
import { keyedTimers } from './keyed-timers.ts'

/** What the node's streams run on: the transport's stream side with swim's callback dial. */
type StreamTransport = Pick<Transport, 'localAddress' | 'onStream'> & Pick<MemoryTransport, 'dialCallback'>

export interface StreamNodeOptions {
  /** A new transport at 10.0.0.<ip>:7946 on this network (with `limits`)... */
  net?: MemoryNetwork
  limits?: Partial<StreamLimits>
  /** ...or this one. */
  on?: StreamTransport
  clock: SimulatedClock
  random: Pick<RandomSource, 'next'>
  config: SwimConfig
  /** 10.0.0.<ip>:7946. */
  ip: number
  name: string
  ports?: Partial<SwimPorts>
  /** Takes each accepted stream instead of the node (call `swim.onStream(s)` to hand it on). */
  accept?: (s: Stream, swim: SwimNode) => void
}

export function streamNode<T extends StreamTransport = MemoryTransport>(o: StreamNodeOptions & { on?: T }): { swim: SwimNode; transport: T } {
  const transport = (o.on ?? o.net?.createTransport(`10.0.0.${o.ip}:7946`, o.limits)) as T
  if (transport === undefined) throw new Error('streamNode: give it a network (net) or a transport (on)')
  const timers = keyedTimers(o.clock, (key) => swim.onTimer(key))
  const ports: SwimPorts = {
    now: () => o.clock.now(),
    random: () => o.random.next(),
    setTimer: timers.setTimer,
    cancelTimer: timers.cancelTimer,
    sendPacket: () => ({ result: 'unconfirmed', piggybacked: 0 }),
    enqueueBroadcast: () => {},
    dial: (to, ms, cb) => transport.dialCallback(to, ms, cb),
    localUserState: (_join, cb) => cb(new Uint8Array(0)),
    mergeRemoteUserState: () => {},
    emit: () => {},
    ...o.ports,
  }
  const swim: SwimNode = new SwimNode(o.config, { name: o.name, addr: Uint8Array.of(10, 0, 0, o.ip), port: 7946 }, ports)
  transport.onStream((s) => (o.accept === undefined ? swim.onStream(s) : o.accept(s, swim)))
  return { swim, transport }
}

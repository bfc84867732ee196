/**
 * swim on real sockets: a UDP socket and a TCP listener on the same port (NetTransport), as
 * memberlist binds both on BindPort. For worker.ts, and for an inline spawn on real sockets.
 */
import { NetTransport } from '../../../src/transport/net-transport.ts'
import { parseAddress } from '../../../src/transport/transport.ts'
import type { StreamLimits } from '../../../src/transport/transport.ts'
import type { ActorImplementations } from '../../../src/runtime/define-actor.ts'
import type { SwimMachine } from '../machine.ts'
import { swimIo } from './swim-io.ts'

/** Binds UDP and TCP on "ip:port" (port 0: one free port for both), with swim's stream limits. */
export function openNetTransport(address: string, limits?: StreamLimits): Promise<NetTransport> {
  const { host, port } = parseAddress(address)
  return NetTransport.listen(host, port, limits)
}

export function nodeSwimIo(): Required<ActorImplementations<SwimMachine>> {
  return swimIo(openNetTransport)
}

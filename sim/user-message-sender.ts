/**
 * A simulated node's sender of memberlist user messages (`swim.send-user`): serf-events' query
 * acks, responses and relays go to an address as one UDP datagram `[8][serfType][msgpack]`, as
 * memberlist SendToAddress sends them. It sends from its own endpoint on the node's IP (port
 * 7947), over the same MemoryNetwork (same loss, delays and partitions); the receiver's swim takes
 * it as it takes any user message.
 *
 * Why here and not swim: swim's own `swim.send-user` is written in parallel (issue 12, the swim
 * part); RuntimeCluster's `userMessages: 'swim'` routes serf-events to swim once it has it. Harness
 * code (sim/), so it may hold a transport; inline placement only.
 */
import { setup } from 'xstate'
import { defineActor } from '../src/runtime/define-actor.ts'
import type { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { SwimSendUserMsg } from '../actors/serf-events/protocol.ts'

/** memberlist's message type byte of a user message. */
const USER_MSG = 8

const formatAddress = (addr: Uint8Array, port: number): string => (addr.length === 4 ? `${addr.join('.')}:${port}` : `[${ipv6(addr)}]:${port}`)

function ipv6(addr: Uint8Array): string {
  const parts: string[] = []
  for (let i = 0; i < 16; i += 2) parts.push(((addr[i]! << 8) | addr[i + 1]!).toString(16))
  return parts.join(':')
}

export interface UserMessageSenderStats {
  sent: number
  /** Not sent: too large for the network's MTU, or our endpoint closed (a lost datagram is 'sent', as UDP's). */
  refused: number
}

/** An actor definition (inline only) that sends each `swim.send-user` from `from` on `network`. */
export function userMessageSender(network: MemoryNetwork, from: string, stats: UserMessageSenderStats) {
  const transport = network.createTransport(from)
  return defineActor({
    name: 'sim-user-message-sender',
    machine: () =>
      setup({ types: {} as { events: SwimSendUserMsg | { type: 'runtime.shutdown' } } }).createMachine({
        id: 'sim-user-message-sender',
        on: {
          'swim.send-user': {
            actions: ({ event }) => {
              const datagram = new Uint8Array(event.bytes.length + 1)
              datagram[0] = USER_MSG
              datagram.set(event.bytes, 1)
              const outcome = transport.sendPacket(formatAddress(event.addr, event.port), datagram)
              if (outcome === 'sent') stats.sent++
              else stats.refused++
            },
          },
          'runtime.shutdown': { actions: () => transport.close() },
        },
      }),
  })
}

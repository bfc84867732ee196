/**
 * A peer that answers a join with a push/pull naming many nodes, for the convergence tests of
 * member-manager behind swim (issue 10 item 4): swim's real inbound path (its push/pull merge)
 * reports every node at once. The fake nodes live on 127.0.0.0/8, so a swim on real sockets that
 * probes them afterwards sends nothing off the machine.
 */
import { assign, setup } from 'xstate'
import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { encodePushPullStream } from '../../../../actors/swim/packets.ts'
import { DEFAULT_VSN } from '../../../../actors/swim/messages.ts'
import type { PushNodeState } from '../../../../actors/swim/messages.ts'
import type { MemoryNetwork } from '../../../../src/transport/memory-network.ts'
import type { MemberEventMsg } from '../../../../actors/member-manager/protocol.ts'

/** The peer itself (alive) followed by `count` alive nodes n0, n1, ... on distinct loopback addresses. */
export function peerStates(count: number, peer: { name: string; addr: Uint8Array; port: number }): PushNodeState[] {
  const meta = new Uint8Array(0)
  const states: PushNodeState[] = [{ name: peer.name, addr: peer.addr, port: peer.port, meta, incarnation: 1, state: 'alive', vsn: DEFAULT_VSN }]
  for (let i = 0; i < count; i++) {
    const addr = Uint8Array.of(127, 1 + (i >> 16), (i >> 8) & 255, i & 255)
    states.push({ name: `n${i}`, addr, port: 7946, meta, incarnation: 1, state: 'alive', vsn: DEFAULT_VSN })
  }
  return states
}

/** The bytes of the peer's side of a push/pull (a join reply, no Serf user state). */
export function pushPullReply(states: readonly PushNodeState[]): Uint8Array {
  return encodePushPullStream(true, states, new Uint8Array(0), false)
}

/**
 * A peer at `address` on the memory network: every stream dialled to it gets `reply` once the dialler
 * has written (swim's own push/pull), then the peer ends its side. It sends no datagrams.
 */
export function memoryPushPullPeer(net: MemoryNetwork, address: string, reply: Uint8Array): void {
  const peer = net.createTransport(address)
  peer.onStream((s) => {
    let answered = false
    s.onData(() => {
      if (answered) return
      answered = true
      s.write(reply)
      s.end()
    })
    s.onEnd(() => {})
  })
}

/** The event stream's receiver: counts member events (messages, and members per event type). */
export const eventCounter = defineActor({
  name: 'event-counter',
  machine: () =>
    setup({
      types: {} as { context: { messages: number; members: Record<string, number> }; events: MemberEventMsg },
    }).createMachine({
      context: { messages: 0, members: {} },
      on: {
        'member.event': {
          actions: assign(({ context, event }) => ({
            messages: context.messages + 1,
            members: { ...context.members, [event.event]: (context.members[event.event] ?? 0) + event.members.length },
          })),
        },
      },
    }),
})

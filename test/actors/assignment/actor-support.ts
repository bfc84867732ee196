/**
 * Test doubles around the assignment actor on one inline ActorSystem: a fake swim per node that
 * records every `swim.send-gossamer` and relays it (the envelope unwrapped, as swim does) to the
 * addressed node's assignment actor as `gossamer.message`, unless the link is cut; a fake election
 * per node that records the campaign and resign tells. Election changes and member events are
 * sent by the test itself, as the election and member-manager would.
 */
import { assign, setup } from 'xstate'
import { defineActor } from '../../../src/runtime/index.ts'
import type { ActorEnv } from '../../../src/types/actor-env.ts'
import { actorAddress } from '../../../src/types/actor-env.ts'
import { decodeGossamerMessage, GOSSAMER_TAG, GOSSAMER_TAG_VERSION } from '../../../src/wire/gossamer-message.ts'
import type { SendGossamerMsg, GossamerMessageIn } from '../../../actors/swim/protocol.ts'
import type { Member, MemberEventMsg } from '../../../actors/member-manager/protocol.ts'
import type { ElectionChangedMsg } from '../../../actors/election/protocol.ts'

export interface FakeNet {
  /** Every send, in order: from, to, the bytes. */
  sent: Array<{ from: string; to: string; bytes: Uint8Array }>
  /** Links cut both ways, as "a|b" sorted. */
  cut: Set<string>
  /** Election tells per node. */
  elections: Array<{ node: string; type: string; group: string }>
}

export function fakeNet(): FakeNet {
  return { sent: [], cut: new Set(), elections: [] }
}

export const linkKey = (a: string, b: string) => [a, b].sort().join('|')

/** swim's stand-in for node `node`: relays send-gossamer to `assignment-<to>`. */
export function fakeSwim(net: FakeNet) {
  return defineActor({
    name: 'fake-swim',
    machine: (env: ActorEnv) =>
      setup({ types: {} as { context: { node: string }; events: SendGossamerMsg; input: { node: string } } }).createMachine({
        context: ({ input }) => ({ node: input.node }),
        on: {
          'swim.send-gossamer': {
            actions: ({ context, event }) => {
              net.sent.push({ from: context.node, to: event.to, bytes: event.bytes })
              if (net.cut.has(linkKey(context.node, event.to))) return
              const { channel, body } = decodeGossamerMessage(event.bytes)
              // As the real swim: a reliable (TCP) message is named by its peer's "ip:port", an ephemeral port.
              const from = event.reliable ? `10.0.0.1:${40_000 + net.sent.length}` : context.node
              env.send(actorAddress<GossamerMessageIn>(`assignment-${event.to}`), { type: 'gossamer.message', from, channel, body })
            },
          },
        },
      }),
  })
}

type ElectionTell = { type: 'election.campaign' | 'election.resign'; group: string }

export function fakeElection(net: FakeNet) {
  return defineActor({
    name: 'fake-election',
    machine: () =>
      setup({ types: {} as { context: { node: string; n: number }; events: ElectionTell; input: { node: string } } }).createMachine({
        context: ({ input }) => ({ node: input.node, n: 0 }),
        on: {
          'election.campaign': { actions: [({ context, event }) => void net.elections.push({ node: context.node, type: event.type, group: event.group }), assign({ n: ({ context }) => context.n + 1 })] },
          'election.resign': { actions: [({ context, event }) => void net.elections.push({ node: context.node, type: event.type, group: event.group }), assign({ n: ({ context }) => context.n + 1 })] },
        },
      }),
  })
}

export function member(name: string, gossamer = true): Member {
  return {
    name,
    addr: Uint8Array.of(10, 0, 0, 1),
    port: 7946,
    tags: gossamer ? { [GOSSAMER_TAG]: GOSSAMER_TAG_VERSION } : {},
    status: 'alive',
    protocolMin: 2,
    protocolMax: 5,
    protocolCur: 2,
    delegateMin: 2,
    delegateMax: 5,
    delegateCur: 4,
  }
}

export const memberEvent = (event: MemberEventMsg['event'], ...members: Member[]): MemberEventMsg => ({ type: 'member.event', event, members })

export function leaderChange(group: string, leader: string | null, term: number, isSelf: boolean): ElectionChangedMsg {
  return { type: 'election.changed', change: { group, leader, term: term as ElectionChangedMsg['change']['term'], isSelf, reason: isSelf ? 'elected' : leader === null ? 'vacant' : 'observed', at: 0 } }
}

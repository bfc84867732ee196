/**
 * The receiver of a simulated node's public member event stream: member-manager sends
 * `member.event` and `member.conflict` to its `events` peer, and this inline actor hands each one to
 * the RuntimeCluster that spawned it (a closure: the sink never leaves the system's thread).
 */
import { setup } from 'xstate'
import { defineActor } from '../src/runtime/define-actor.ts'
import type { MemberEventMsg, NameConflictEventMsg } from '../actors/member-manager/protocol.ts'

/** What member-manager publishes on its event stream. */
export type PublicMemberEvent = MemberEventMsg | NameConflictEventMsg

/** An actor definition (inline placement only) that calls `onEvent` with every event it is sent. */
export function memberEventSink(onEvent: (msg: PublicMemberEvent) => void) {
  return defineActor({
    name: 'sim-member-event-sink',
    machine: () =>
      setup({ types: {} as { events: PublicMemberEvent } }).createMachine({
        id: 'sim-member-event-sink',
        on: {
          'member.event': { actions: ({ event }) => onEvent(event) },
          'member.conflict': { actions: ({ event }) => onEvent(event) },
        },
      }),
  })
}

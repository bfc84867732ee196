/**
 * Serf's MergeRemoteState witnesses the remote member clock (spec §2.5: LTime − 1) before it applies
 * the status times; the event and query clocks (EventLTime − 1, QueryLTime − 1) are serf-events'
 * (test/actors/serf-events/core.test.ts): member-manager hands it the slice and carries the slice
 * serf-events tells it in its own LocalState. These tests send push/pull
 * state whose clocks are far ahead of every status time and leave nobody, so no intent that the
 * merge generates can move a clock: only the witnesses can (issue 10, item 9: removing either
 * witness used to pass every test).
 */
import { describe, expect, it } from 'vitest'
import { MemberLayer } from '../../../actors/member-manager/member-layer.ts'
import type { MemberLayerPorts } from '../../../actors/member-manager/member-layer.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import type { MemberManagerOutbound } from '../../../actors/member-manager/protocol.ts'
import { decodeSerfMessage, encodeSerfMessage } from '../../../src/wire/index.ts'
import type { SerfPushPull } from '../../../src/wire/index.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { node } from './fixtures.ts'

function layer() {
  const emitted: MemberManagerOutbound[] = []
  const ports: MemberLayerPorts = {
    now: () => 0,
    random: createSeededRandom(3),
    emit: (m) => void emitted.push(m),
    enqueue: () => {},
    clusterSize: () => {},
    snapshot: () => {},
    schedulePrune: () => {},
  }
  const l = new MemberLayer(createSerfConfig({ nodeName: 'self' }), ports)
  l.start()
  return { l, emitted }
}

/** A remote push/pull user state: its clocks, one member `x` joined at `statusLTime`, nobody left. */
function remoteState(clocks: { LTime: bigint; EventLTime: bigint; QueryLTime: bigint }, statusLTime = 2n): Uint8Array {
  const pp: SerfPushPull = { type: 'pushPull', ...clocks, StatusLTimes: new Map([['x', statusLTime]]), LeftMembers: [], Events: [] }
  return encodeSerfMessage(pp)
}

describe('MemberLayer.mergeRemoteState clock witnesses', () => {
  it('moves the member clock to the remote LTime when no status time is near it', () => {
    const { l } = layer()
    l.nodeJoined(node('x'))
    l.mergeRemoteState(remoteState({ LTime: 100n, EventLTime: 0n, QueryLTime: 0n }), false)
    // witness(100 − 1) → 100; the join intent for x at 2 alone would leave the clock at 3.
    expect(l.clock.time()).toBe(100n)
    expect(l.table.get('x')?.statusLTime).toBe(2n)
  })

  it('hands the remote EventLTime, Events and QueryLTime to serf-events, with the join flag', () => {
    const { l, emitted } = layer()
    l.mergeRemoteState(remoteState({ LTime: 0n, EventLTime: 40n, QueryLTime: 70n }), true)
    expect(emitted.at(-1)).toEqual({ type: 'serf.merge-remote-events', eventLTime: 40n, events: [], queryLTime: 70n, join: true })
    // LTime 0 witnesses nothing; the buffered join intent for x (unknown) at 2 moves the clock to 3.
    expect(l.clock.time()).toBe(3n)
  })

  it("advertises serf-events' latest slice in its own push/pull state (clocks at 1 before any)", () => {
    const { l } = layer()
    const before = decodeSerfMessage(l.localUserState(false)) as SerfPushPull
    expect([before.EventLTime, before.QueryLTime, before.Events?.length]).toEqual([1n, 1n, 512])
    l.mergeRemoteState(remoteState({ LTime: 500n, EventLTime: 300n, QueryLTime: 200n }), false)
    const slot = { LTime: 299n, Events: [{ Name: 'deploy', Payload: Uint8Array.of(7) }] }
    l.eventState({ eventLTime: 300n, events: [slot, null], queryLTime: 200n })
    const pp = decodeSerfMessage(l.localUserState(false)) as SerfPushPull
    expect([pp.LTime, pp.EventLTime, pp.QueryLTime]).toEqual([500n, 300n, 200n])
    expect(pp.Events).toEqual([slot, null])
  })

  it('never moves the member clock backwards: a remote state behind ours witnesses nothing', () => {
    const { l } = layer()
    l.mergeRemoteState(remoteState({ LTime: 100n, EventLTime: 100n, QueryLTime: 100n }), false)
    l.mergeRemoteState(remoteState({ LTime: 10n, EventLTime: 10n, QueryLTime: 10n }, 3n), false)
    expect(l.clock.time()).toBe(100n)
  })
})

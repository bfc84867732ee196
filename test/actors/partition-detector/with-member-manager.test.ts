/**
 * The partition-detector as member-manager's `events` peer, both inline on one simulated clock:
 * swim's node changes go into member-manager, which tells its member events to the detector;
 * the detector's counts follow them (a failed node is not alive, the mark never falls on a
 * failure, a graceful leave lowers it by one).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, SimulatedClock } from '../../../src/runtime/index.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { partitionDetector } from '../../../actors/partition-detector/definition.ts'
import { node } from '../member-manager/fixtures.ts'
import { encodeSerfMessage } from '../../../src/wire/index.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

describe('partition-detector fed by member-manager', () => {
  it('counts what member-manager reports: joins, a failure, a graceful leave', async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', clock })
    await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'inline' })
    const pd = await system.spawn(partitionDetector, { id: 'partition-detector', placement: 'inline', input: { self: 'self', config: { graceMs: 5_000 } } })
    const mm = await system.spawn(memberManager, {
      id: 'member-manager',
      placement: 'inline',
      input: { config: { nodeName: 'self' }, peers: { swim: 'swim', gossipQueue: 'gossip-queue', events: 'partition-detector' } },
    })
    for (const n of ['self', 'a', 'b', 'c', 'd']) mm.send({ type: 'member.node-joined', node: node(n) })
    await clock.advance(5_000)
    expect(await pd.ask({ type: 'partition.status' })).toMatchObject({ status: 'healthy', counts: { visible: 5, expected: 5 }, highWater: 5 })

    mm.send({ type: 'member.node-left', node: { ...node('c'), state: 'dead' } }) // a failure
    mm.send({ type: 'member.node-left', node: { ...node('d'), state: 'dead' } })
    await clock.advance(5_000)
    expect(await pd.ask({ type: 'partition.status' })).toMatchObject({ status: 'degraded', counts: { visible: 3, expected: 5, failed: 2 }, highWater: 5 })

    // A graceful leave as Serf sees one: b's leave intent first, then memberlist's leave of b.
    mm.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'b', LTime: 10n, Prune: false }) })
    mm.send({ type: 'member.node-left', node: { ...node('b'), state: 'left' } })
    await clock.advance(5_000)
    const r = await pd.ask({ type: 'partition.status' })
    // 2 of 4 is a tie, and a tie is a minority (a 2+2 split must not leave two sides acting).
    expect(r).toMatchObject({ status: 'minority', counts: { visible: 2, expected: 4, quorum: 3 }, highWater: 4 })
    expect(r.detector.aboutSelf).toBe(1) // member-manager reports this node's own join too
    expect(r.actor.memberEvents).toBeGreaterThanOrEqual(7)
    expect(r.actor.undelivered).toBe(0)
  })
})

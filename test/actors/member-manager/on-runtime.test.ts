/**
 * member-manager and gossip-queue on the real runtime, in both placements: an intent received by
 * member-manager is rebroadcast into gossip-queue, a fill hands it out with the 0x08 prefix, and the
 * Serf cluster size gossip-queue uses is the member table's count.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, SimulatedClock } from '../../../src/runtime/index.ts'
import type { Placement } from '../../../src/runtime/index.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { encodeSerfMessage, decodeSerfMessage } from '../../../src/wire/index.ts'
import { node } from './fixtures.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe.each(['inline', 'worker'] as Placement[])('member-manager + gossip-queue on the runtime (%s)', (placement) => {
  it('rebroadcasts a join intent through gossip-queue and agrees on the member count', async () => {
    system = await ActorSystem.start({ logLevel: 'silent', ...(placement === 'inline' ? { clock: new SimulatedClock() } : {}) })
    const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement })
    const mm = await system.spawn(memberManager, {
      id: 'member-manager',
      placement,
      input: { config: { nodeName: 'self' }, peers: { swim: 'swim', gossipQueue: 'gossip-queue' } },
      dependsOn: ['gossip-queue'],
    })
    for (const n of ['self', 'a', 'b']) mm.send({ type: 'member.node-joined', node: node(n) })
    mm.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'a', LTime: 9n }) })

    const members = await mm.ask({ type: 'member.members' }, { timeoutMs: 5000 })
    expect(members.counts).toEqual({ alive: 3, leaving: 0, left: 0, failed: 0, total: 3 })
    // Tells between actors may still be in flight: wait until gossip-queue has seen them.
    await until(async () => (await gq.ask({ type: 'gossip.stats' })).queues['serf-intent'].depth === 1)
    const stats = await gq.ask({ type: 'gossip.stats' })
    expect(stats.queues['serf-intent'].numNodes).toBe(members.counts.total)
    const filled = await gq.ask({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 1398 }, { timeoutMs: 5000 })
    expect(filled.parts).toHaveLength(1)
    expect(filled.parts[0]![0]).toBe(8)
    expect(decodeSerfMessage(filled.parts[0]!.subarray(1))).toEqual({ type: 'join', Node: 'a', LTime: 9n })
  })
})

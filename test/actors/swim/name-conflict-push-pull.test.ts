/**
 * A name conflict learned only through the join's push/pull reaches member-manager (issue 12):
 * memberlist reports conflicts from the gossip path and the push/pull path alike. The real
 * actors (swim, gossip-queue, member-manager) on the simulated clock: an impostor named `n2` joins
 * a cluster that already has an `n2`. The cluster's answer to its join (a push/pull) is the only
 * place the impostor hears of the real n2 at another address: its member-manager must count the
 * local conflict and emit `member.conflict`. Before, swim counted it (`conflicts: 1`) and nothing
 * more happened.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeCluster } from '../../../sim/runtime-cluster.ts'
import type { NameConflictEventMsg } from '../../../actors/member-manager/protocol.ts'

let cluster: RuntimeCluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

describe('name conflicts through push/pull (real actors)', () => {
  it("an impostor hears of the real holder of its name in its join's push/pull: member-manager counts it and emits member.conflict", async () => {
    const c = (cluster = new RuntimeCluster({ seed: 5 }))
    await c.addNode('n1')
    await c.addNode('n2', ['n1'])
    expect(await c.runUntil(() => c.converged(), 30_000)).toBeDefined()
    // Long enough that no broadcast about n2 is still being gossiped: only a push/pull can tell of it.
    await c.run(60_000)
    const impostor = await c.addNode('impostor', ['n1'], { nodeName: 'n2' })
    const local = () => c.events.filter((e): e is typeof e & { msg: NameConflictEventMsg } => e.observer === 'impostor' && e.msg.type === 'member.conflict')
    expect(await c.runUntil(() => local().length > 0, 2_000)).toBeDefined()
    const [seen] = local()
    expect(seen!.msg).toMatchObject({ name: 'n2', local: true })
    expect([...seen!.msg.other.addr].join('.')).toBe(c.get('n2').address.split(':')[0])
    const stats = await impostor.memberManager.ask({ type: 'member.stats' })
    expect(stats.nameConflicts.local).toBeGreaterThanOrEqual(1)
    const swim = (await impostor.swim.getSnapshot()).context
    expect(swim.counters.conflicts).toBeGreaterThanOrEqual(1)
  })
})

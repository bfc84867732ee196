/**
 * A graceful leave while push/pulls run: every other node reports the leaver as left, none as
 * failed. 9 nodes on the Local profile through the real actors (sim/runtime-cluster.ts), with a
 * push/pull every second (memberlist's floor, the probe interval) and up to 60 ms of jitter per
 * packet, so that push/pulls meet the leaves' spread (seed 1: n8 merged a push/pull holding n4 as
 * leaving before n4's intent reached it). Before the fix a node that merged a push/pull from a node already holding the
 * member as leaving took it as a join at the leave's own LTime, counted the leave intent stale
 * when it came, and reported the departure as member-failed (member-manager's member-table.ts
 * pushPullLTime; the core-level sequence is in test/actors/member-manager/leave-after-push-pull).
 * Deterministic: simulated clock, seeded network.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeCluster } from '../../sim/runtime-cluster.ts'

const N = 9
const LEAVERS = ['n4', 'n7', 'n2', 'n9']
const names = Array.from({ length: N }, (_, i) => `n${i + 1}`)

let cluster: RuntimeCluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

describe('graceful leaves during push/pulls (9 nodes, Local profile, push/pull every 1 s, real actors)', () => {
  it('every other node reports each leaver as left, none as failed', async () => {
    const c = (cluster = new RuntimeCluster({ seed: 1, preset: 'local', swim: { pushPullIntervalMs: 1_000 }, link: { jitterMs: 60 } }))
    await c.addNode('n1')
    for (const name of names.slice(1)) await c.addNode(name, ['n1'])
    expect(await c.runUntil(() => c.converged(), 60_000)).toBeDefined()
    await c.run(10_000)
    const outcomes: string[] = []
    for (const leaver of LEAVERS) {
      const mark = c.events.length
      c.leave(leaver)
      await c.run(5_000)
      for (const e of c.events.slice(mark)) {
        if (e.msg.type !== 'member.event' || (e.msg.event !== 'member-leave' && e.msg.event !== 'member-failed')) continue
        for (const m of e.msg.members) if (m.name === leaver) outcomes.push(`${e.observer} ${e.msg.event} ${leaver}`)
      }
    }
    const failed = outcomes.filter((o) => o.includes(' member-failed '))
    expect(failed, `member-failed reports about graceful leavers: ${failed.join(', ')}`).toEqual([])
    // Each leaver reported left by every node still running when it left.
    expect(outcomes.length).toBe(LEAVERS.reduce((sum, _, i) => sum + N - 1 - i, 0))
    expect(c.problems).toEqual([])
  }, 120_000)
})

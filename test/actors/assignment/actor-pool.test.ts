/**
 * The assignment actor with large inputs on the real compute pool (inline placement, real clock):
 * P = 30,000 over 3 workers is encoded on the pool (assignment.encoded) before it is published and
 * accepted by every worker; without a pool the encoding falls back to the actor's thread (counted
 * as ERR_COMPUTE_DISABLED), so a leader never stops publishing for want of a pool.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../../src/runtime/index.ts'
import { assignment } from '../../../actors/assignment/definition.ts'
import type { AssignmentChangedMsg } from '../../../actors/assignment/protocol.ts'
import { ENCODE_OFFLOAD_PARTITIONS } from '../../../actors/assignment/actor-leader.ts'
import { fakeElection, fakeNet, fakeSwim, leaderChange, member, memberEvent } from './actor-support.ts'

const P = 30_000
let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 5000 })
  system = undefined
})

async function run(compute: boolean) {
  system = await ActorSystem.start({ logLevel: 'silent', ...(compute ? { compute: { maxThreads: 1 } } : { compute: false }) })
  const net = fakeNet()
  const names = ['a', 'b', 'c']
  const swimDef = fakeSwim(net)
  const electionDef = fakeElection(net)
  const got: Record<string, AssignmentChangedMsg[]> = {}
  const refs = []
  for (const n of names) {
    await system.spawn(swimDef, { id: `swim-${n}`, placement: 'inline', input: { node: n } })
    await system.spawn(electionDef, { id: `election-${n}`, placement: 'inline', input: { node: n } })
    const ref = await system.spawn(assignment, {
      id: `assignment-${n}`,
      placement: 'inline',
      input: { self: n, calculator: { coldStartWindowMs: 0, plannedScaleWindowMs: 0, restartWindowMs: 0 }, peers: { swim: `swim-${n}`, election: `election-${n}` } },
    })
    got[n] = []
    ref.on('assignment.changed', (e) => got[n]!.push(e as AssignmentChangedMsg))
    ref.send(memberEvent('member-join', ...names.filter((m) => m !== n).map((m) => member(m))))
    refs.push(ref)
  }
  for (const r of refs) await r.ask({ type: 'assignment.register', group: 'big', partitions: P })
  refs.forEach((r, i) => r.send(leaderChange('big', 'a', 9, i === 0)))
  const deadline = Date.now() + 30_000
  while (names.some((n) => got[n]!.length === 0)) {
    if (Date.now() > deadline) throw new Error('no assignment within 30 s')
    await new Promise((r) => setTimeout(r, 20))
  }
  return { got, leader: refs[0]! }
}

describe('assignment actor on the compute pool', () => {
  it(`encodes an assignment of ${P} partitions (>= ${ENCODE_OFFLOAD_PARTITIONS}) on the pool; every worker accepts it`, async () => {
    const { got, leader } = await run(true)
    const all = Object.values(got).flatMap((c) => c[0]!.assignment.partitions)
    expect(all.length).toBe(P)
    expect(new Set(all).size).toBe(P)
    const stats = (await leader.getSnapshot()).context.stats
    expect(stats.refused).toEqual({})
    expect(stats.published).toBe(1)
  }, 40_000)

  it('without a pool: encoded on the actor thread instead, counted', async () => {
    const { got, leader } = await run(false)
    expect(got['b']![0]!.assignment).toMatchObject({ version: 1, term: 9, totalPartitions: P, workers: 3 })
    expect((await leader.getSnapshot()).context.stats.refused).toMatchObject({ ERR_COMPUTE_DISABLED: 1 })
  }, 40_000)
})

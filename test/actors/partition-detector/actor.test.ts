/**
 * The partition-detector actor on the runtime, on the simulated clock (inline): member-manager's
 * events in, `partition.changed` out with the counts behind each change, the stability grace, the
 * down-all escalation, the expected-size mark kept across a supervised restart (the runtime's
 * persisted snapshot) and across a node restart (the mark store), and failed saves counted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, SimulatedClock, defineActor, memorySnapshotStore } from '../../../src/runtime/index.ts'
import type { SystemEvent } from '../../../src/runtime/index.ts'
import type { ActorEnv } from '../../../src/types/actor-env.ts'
import { partitionDetector } from '../../../actors/partition-detector/definition.ts'
import { createPartitionDetectorMachine, provideMarkStore, type PartitionDetectorInput } from '../../../actors/partition-detector/machine.ts'
import { memoryMarkStore, type MarkStore } from '../../../actors/partition-detector/mark-store.ts'
import type { PartitionChangedMsg } from '../../../actors/partition-detector/protocol.ts'
import type { Member, MemberEventMsg } from '../../../actors/member-manager/protocol.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

const member = (name: string, status: Member['status'] = 'alive'): Member => ({
  name,
  addr: Uint8Array.of(10, 0, 0, 1),
  port: 7946,
  tags: {},
  status,
  protocolMin: 2,
  protocolMax: 5,
  protocolCur: 2,
  delegateMin: 2,
  delegateMax: 5,
  delegateCur: 4,
})
const ev = (event: MemberEventMsg['event'], ...names: string[]): MemberEventMsg => ({ type: 'member.event', event, members: names.map((n) => member(n)) })

async function start(opts: { clock?: SimulatedClock; input?: Partial<PartitionDetectorInput>; store?: MarkStore; definition?: typeof partitionDetector } = {}) {
  const clock = opts.clock ?? new SimulatedClock()
  system = await ActorSystem.start({ logLevel: 'silent', clock, snapshotStore: memorySnapshotStore(), supervision: { backoffMs: 1 } })
  const ref = await system.spawn(opts.definition ?? partitionDetector, {
    id: 'partition-detector',
    placement: 'inline',
    input: { self: 'self', config: { graceMs: 7_000, unstableAfterMs: 5_000 }, ...opts.input },
    ...(opts.store === undefined ? {} : { provide: provideMarkStore(opts.store) }),
  })
  const changes: PartitionChangedMsg[] = []
  ref.on('partition.changed', (e) => changes.push(e as PartitionChangedMsg))
  return { clock, ref, changes, sys: system }
}

const statuses = (changes: PartitionChangedMsg[]) =>
  changes.flatMap((c) => (c.change.type === 'partition.status' ? [[c.change.status, c.change.cause, c.counts.visible, c.counts.expected, c.change.at]] : []))

describe('partition-detector actor (inline, simulated clock)', () => {
  it('publishes each change with the counts that caused it, after the grace', async () => {
    const { clock, ref, changes } = await start()
    ref.send(ev('member-join', 'self', 'a', 'b', 'c', 'd'))
    await clock.advance(7_000)
    const grown = changes.filter((c) => c.change.type === 'partition.expected-size').map((c) => c.change.type === 'partition.expected-size' && [c.change.previous, c.change.expected, c.counts.visible])
    expect(grown).toEqual([
      [1, 2, 2],
      [2, 3, 3],
      [3, 4, 4],
      [4, 5, 5],
    ])
    expect(statuses(changes)).toEqual([]) // healthy all along: nothing to publish
    ref.send(ev('member-failed', 'c', 'd'))
    await clock.advance(6_999)
    expect(statuses(changes)).toEqual([])
    await clock.advance(1)
    expect(statuses(changes)).toEqual([['degraded', 'stable', 3, 5, 14_000]])
    ref.send(ev('member-failed', 'b'))
    await clock.advance(7_000)
    expect(statuses(changes).at(-1)).toEqual(['minority', 'stable', 2, 5, 21_000])
    const reply = await ref.ask({ type: 'partition.status' })
    expect(reply).toMatchObject({ status: 'minority', counts: { visible: 2, expected: 5, quorum: 3, failed: 3 }, highWater: 5, actor: { memberEvents: 3 } })
    expect(reply.detector.aboutSelf).toBe(1)
  })

  it('countOnlyTag: members without the tag (serf agents in a mixed cluster) are not counted', async () => {
    const { clock, ref } = await start({ input: { config: { graceMs: 7_000, unstableAfterMs: 5_000, countOnlyTag: 'gossamer' } } })
    const tagged = (name: string) => ({ ...member(name), tags: { gossamer: '1' } })
    ref.send({ type: 'member.event', event: 'member-join', members: [tagged('self'), tagged('a'), member('serf-1'), member('serf-2'), member('serf-3')] })
    await clock.advance(7_000)
    ref.send({ type: 'member.event', event: 'member-failed', members: [member('serf-1'), member('serf-2')] })
    await clock.advance(7_000)
    const reply = await ref.ask({ type: 'partition.status' })
    // Two voters, both alive: healthy, whatever the serf agents do.
    expect(reply).toMatchObject({ status: 'healthy', counts: { visible: 2, expected: 2 }, actor: { notCounted: 5 } })
  })

  it('a member that flaps within the grace publishes nothing; a member-update changes no count', async () => {
    const { clock, ref, changes } = await start()
    ref.send(ev('member-join', 'a', 'b', 'c', 'd'))
    await clock.advance(7_000)
    // Two flaps in 3 s: each change restarts the grace, which then runs out (healthy again) well
    // before the escalation (grace + unstableAfter = 12 s after the first change).
    for (let i = 0; i < 2; i++) {
      ref.send(ev('member-failed', 'a'))
      await clock.advance(1_000)
      ref.send(ev('member-join', 'a'))
      await clock.advance(1_000)
    }
    ref.send(ev('member-update', 'a', 'b'))
    await clock.advance(7_000)
    expect(statuses(changes)).toEqual([])
    expect(await ref.ask({ type: 'partition.status' })).toMatchObject({ status: 'healthy', actor: { updatesIgnored: 2 } })
  })

  it('escalates to minority when the view keeps changing (down-all), and recovers after a still grace', async () => {
    const { clock, ref, changes } = await start()
    ref.send(ev('member-join', 'a', 'b', 'c', 'd'))
    await clock.advance(7_000)
    // A change every 3 s: the grace (7 s) never runs out; grace + unstableAfter = 12 s after the first.
    for (let i = 0; i < 4; i++) {
      ref.send(ev(i % 2 === 0 ? 'member-failed' : 'member-join', 'a'))
      await clock.advance(3_000)
    }
    // Changes at 7, 10, 13 and 16 s: the escalation fires at 7 + 12 = 19 s, though every member is back.
    const escalated = changes.find((c) => c.change.type === 'partition.escalated')
    expect(escalated?.change).toMatchObject({ unstableForMs: 12_000, changes: 4, at: 19_000 })
    expect(escalated?.status).toBe('minority')
    expect(statuses(changes)).toEqual([['minority', 'unstable', 5, 5, 19_000]])
    // Still since 16 s: the grace ends at 23 s and the escalation is lifted.
    await clock.advance(4_000)
    expect(statuses(changes).at(-1)).toEqual(['healthy', 'stable', 5, 5, 23_000])
  })

  it('a node restart reads the saved mark back: alone, it is a minority at once, not healthy for a grace', async () => {
    const store = memoryMarkStore()
    const first = await start({ store, input: { statePath: 'pd.mark' } })
    first.ref.send(ev('member-join', 'a', 'b', 'c', 'd'))
    await first.clock.advance(1)
    expect(store.marks.get('pd.mark')).toBe(5)
    expect((await first.ref.ask({ type: 'partition.status' })).actor).toMatchObject({ persisted: expect.any(Number), persistFailures: 0 })
    await first.sys.shutdown({ drainTimeoutMs: 2000 })
    system = undefined

    const second = await start({ store, input: { statePath: 'pd.mark' } })
    await second.clock.advance(1)
    // Published at time 0 (the load came back in the spawn itself, before this test subscribed).
    expect(await second.ref.ask({ type: 'partition.status' })).toMatchObject({ status: 'minority', highWater: 5, counts: { visible: 1, expected: 5 }, detector: { statusChanges: 1 } })
    // The others come back: healthy after the grace; the mark did not move.
    second.ref.send(ev('member-join', 'a', 'b', 'c', 'd'))
    await second.clock.advance(7_000)
    expect(statuses(second.changes).at(-1)).toEqual(['healthy', 'stable', 5, 5, 7_001])
  })

  it('failed saves are counted with their error, never thrown', async () => {
    const broken: MarkStore = { load: async () => undefined, save: async () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ENOSPC' })) }
    const { clock, ref } = await start({ store: broken, input: { statePath: 'pd.mark' } })
    ref.send(ev('member-join', 'a', 'b'))
    await clock.advance(1)
    const reply = await ref.ask({ type: 'partition.status' })
    expect(reply.actor.persistFailures).toBeGreaterThanOrEqual(1)
    expect((await ref.getSnapshot()).context.lastPersistError).toMatchObject({ code: 'ENOSPC', message: 'disk full' })
  })

  it('a statePath without a store is a counted, coded failure', async () => {
    const { clock, ref } = await start({ input: { statePath: 'pd.mark' } })
    ref.send(ev('member-join', 'a'))
    await clock.advance(1)
    expect((await ref.getSnapshot()).context.lastPersistError).toMatchObject({ code: 'ERR_PARTITION_NO_MARK_STORE' })
  })

  it('refuses a malformed member.event with the coded invalid-message error', async () => {
    const { ref } = await start()
    expect(() => ref.send({ type: 'member.event', event: 'member-join', members: [{ name: '' }] } as never)).not.toThrow()
    await expect(ref.ask({ type: 'member.event', event: 'bogus', members: [] } as never)).rejects.toMatchObject({ code: 'ERR_ACTOR_INVALID_MESSAGE' })
    expect((await ref.ask({ type: 'partition.status' })).actor.memberEvents).toBe(0)
  })
})

/** The real machine with a hook: a `partition.status` ask while `crashNext` is set throws inside the machine (a crash). */
let crashNext = false
const crashable = defineActor({
  name: 'partition-detector',
  machine: (env: ActorEnv) =>
    createPartitionDetectorMachine({
      ...env,
      reply: (to, msg) => {
        if (crashNext) {
          crashNext = false
          throw new Error('partition-detector crashed on purpose (test hook)')
        }
        env.reply(to, msg)
      },
    }),
  ...(partitionDetector.persist === undefined ? {} : { persist: partitionDetector.persist }),
})

describe('partition-detector supervised restart', () => {
  it('keeps the view, the mark and the armed grace across a crash', async () => {
    const { clock, ref, sys, changes } = await start({ definition: crashable as unknown as typeof partitionDetector })
    const events: SystemEvent[] = []
    sys.on((e) => events.push(e))
    ref.send(ev('member-join', 'a', 'b', 'c', 'd'))
    await clock.advance(7_000)
    ref.send(ev('member-failed', 'c', 'd'))
    await clock.advance(3_000)
    crashNext = true
    await ref.ask({ type: 'partition.status' }, { timeoutMs: 50 }).catch(() => undefined)
    await clock.advance(100)
    expect(events.some((e) => e.type === 'actor.started' && e.restarts === 1 && e.restored === true)).toBe(true)
    // The grace armed before the crash still ends 7 s after the failures: re-armed from its due time.
    await clock.advance(3_899)
    expect(await ref.ask({ type: 'partition.status' })).toMatchObject({ status: 'healthy', highWater: 5 })
    await clock.advance(1)
    expect(await ref.ask({ type: 'partition.status' })).toMatchObject({ status: 'degraded', highWater: 5, counts: { visible: 3, expected: 5 } })
    expect(changes.length).toBeGreaterThan(0)
  })
})

import { describe, expect, it } from 'vitest'
import { createActor, waitFor } from 'xstate'
import { createSnapshotterMachine } from '../../../actors/snapshotter/machine.ts'
import { createSnapshotterImplementations } from '../../../actors/snapshotter/implementations.ts'
import { createResourceSlots } from '../../../src/runtime/resource-slots.ts'
import { MemoryDisk } from './memory-disk.ts'
import { LimitedDisk } from './limited-disk.ts'
import type { SnapshotDisk } from '../../../actors/snapshotter/disk.ts'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import type { SnapshotterInput } from '../../../actors/snapshotter/protocol.ts'
import type { ActorEnv, ReplyTo } from '../../../src/types/actor-env.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { createAsk } from '../../../src/runtime/env-ask.ts'
import { ip, tick } from './helpers.ts'

const PATH = '/data/s.snapshot'

function testEnv() {
  const replies: Array<{ cid: number; value?: unknown; error?: unknown }> = []
  const sent: Array<{ to: string; msg: unknown }> = []
  const noop = () => {}
  // Virtual time: no timer of the machine's writer fires unless a test advances it.
  const clock = new SimulatedClock(0)
  const send = (to: string, msg: unknown) => {
    sent.push({ to, msg })
    return 'ok' as const
  }
  const env: ActorEnv = {
    id: 'snapshotter' as ActorEnv['id'],
    node: 'n1',
    clock,
    random: createSeededRandom(7),
    log: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, isLevelEnabled: () => false },
    compute: { run: () => Promise.reject(new Error('no compute')) },
    send,
    // The runtime's ask over the recording send: a request shows up in `sent`, and times out on
    // the simulated clock unless a test answers it.
    ask: createAsk({ id: 'snapshotter', clock, send }).ask,
    reply: (to, value) => void (to && replies.push({ cid: to.cid, value })),
    fail: (to, error) => void (to && replies.push({ cid: to.cid, error })),
    resources: createResourceSlots(),
  }
  return { env, replies, sent, clock }
}

const rt = <R>(cid: number) => ({ to: '$main', cid }) as ReplyTo<R>

function start(input: Partial<SnapshotterInput> = {}, disk: SnapshotDisk = new MemoryDisk()) {
  const t = testEnv()
  const machine = createSnapshotterMachine(t.env).provide(
    createSnapshotterImplementations(t.env, { disk, defer: (fn) => void setImmediate(fn), now: () => performance.now() }),
  )
  const actor = createActor(machine, { input: { path: PATH, nodeName: 'me', ...input } }).start()
  return { ...t, actor, disk }
}

describe('snapshotter - machine', () => {
  it('replays, answers restore asks queued during replay, records, leaves and shuts down', async () => {
    const disk = new MemoryDisk()
    disk.put(PATH, 'alive: me 10.0.0.1:7946\nalive: a 10.0.0.2:7946\nclock: 5\nevent-clock: 3\nquery-clock: 8\n')
    const { actor, replies } = start({}, disk)
    actor.send({ type: 'snapshot.restore', replyTo: rt(1) })
    await waitFor(actor, (s) => s.matches('running'))
    expect(replies[0]).toMatchObject({
      cid: 1,
      value: { previousNodes: [{ name: 'a', addr: '10.0.0.2:7946' }], lastClock: 5n, eventMinTime: 4n, queryMinTime: 9n, left: false },
    })
    actor.send({ type: 'snapshot.member-alive', name: 'b', addr: ip(10, 0, 0, 3), port: 7946 })
    actor.send({
      type: 'snapshot.records',
      records: [
        { kind: 'member-not-alive', name: 'a' },
        { kind: 'clock', ltime: 6n },
      ],
    })
    actor.send({ type: 'snapshot.sync', replyTo: rt(2) })
    await tick()
    await tick()
    expect(replies.find((r) => r.cid === 2)).toMatchObject({ value: { received: 3, durableThrough: 3 } })
    actor.send({ type: 'snapshot.leave', replyTo: rt(3) })
    expect(actor.getSnapshot().matches({ running: 'left' })).toBe(true)
    await tick()
    await tick()
    expect(replies.find((r) => r.cid === 3)).toMatchObject({ value: { durableThrough: 3 } })
    actor.send({ type: 'snapshot.member-alive', name: 'c', addr: ip(10, 0, 0, 4), port: 1 })
    actor.send({ type: 'snapshot.stats', replyTo: rt(4) })
    expect(replies.find((r) => r.cid === 4)).toMatchObject({ value: { ignoredAfterLeave: 1, leaves: 1 } })
    actor.send({ type: 'runtime.shutdown' })
    await waitFor(actor, (s) => s.status === 'done')
    expect(actor.getSnapshot().context.shutdown).toMatchObject({ clean: true, remaining: 0 })
    const r = replaySnapshot(disk.crashImage().get(PATH)!)
    expect(r.left).toBe(true)
    expect(disk.text(PATH)).toContain('alive: b 10.0.0.3:7946\n')
  })

  it('moves to failed when the file cannot be opened and refuses asks with the error', async () => {
    const disk = new MemoryDisk((op) => {
      if (op === 'read') throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })
    })
    const { actor, replies } = start({}, disk)
    actor.send({ type: 'snapshot.restore', replyTo: rt(1) })
    await waitFor(actor, (s) => s.matches('failed'))
    expect(replies[0]).toMatchObject({ cid: 1, error: { code: 'ERR_SNAPSHOT_OPEN' } })
    actor.send({ type: 'snapshot.member-not-alive', name: 'x' })
    actor.send({ type: 'snapshot.sync', replyTo: rt(2) })
    expect(replies[1]).toMatchObject({ cid: 2, error: { message: expect.stringContaining('EACCES') } })
    expect(actor.getSnapshot().context.refused).toBe(1)
    actor.send({ type: 'runtime.shutdown' })
    expect(actor.getSnapshot().status).toBe('done')
  })

  it('shows compaction in its context and tells the notify actor when records become durable', async () => {
    const { actor, sent } = start({ minCompactionBytes: 512, durability: 'always', notify: 'member-manager' as never })
    await waitFor(actor, (s) => s.matches('running'))
    const seen: boolean[] = []
    actor.subscribe((s) => seen.push(s.context.compacting))
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 20; i++) actor.send({ type: 'snapshot.member-alive', name: `m${i}`, addr: ip(10, 0, 0, i), port: round })
      await tick()
      await tick()
    }
    actor.send({ type: 'runtime.shutdown' })
    await waitFor(actor, (s) => s.status === 'done')
    expect(seen).toContain(true)
    expect(actor.getSnapshot().context.compactions).toBeGreaterThan(0)
    const durable = sent.filter((s) => (s.msg as { type: string }).type === 'snapshot.durable')
    expect(durable.length).toBeGreaterThan(0)
    expect(durable.at(-1)).toMatchObject({ to: 'member-manager', msg: { durableThrough: 400 } })
  })
})

describe('snapshotter - machine (leave during replay)', () => {
  it('applies a leave that arrives while the file is replayed, after the replay', async () => {
    const disk = new MemoryDisk()
    disk.put(PATH, 'alive: a 10.0.0.2:7946\n')
    const { actor, replies } = start({}, disk)
    actor.send({ type: 'snapshot.leave', replyTo: rt(9) })
    await waitFor(actor, (s) => s.matches({ running: 'left' }))
    await tick()
    await tick()
    expect(replies.find((r) => r.cid === 9)).toBeDefined()
    actor.send({ type: 'runtime.shutdown' })
    await waitFor(actor, (s) => s.status === 'done')
    const r = replaySnapshot(disk.get(PATH)!)
    expect(r.left).toBe(true)
    expect(r.aliveNodes.size).toBe(0)
  })
})

describe('snapshotter - machine (disk full)', () => {
  it('fails sync asks with the coded disk error, shows it in context and stats, and clears it when space returns', async () => {
    const memory = new MemoryDisk()
    const fs = new LimitedDisk(1024, memory)
    const { actor, replies, clock } = start({}, fs)
    await waitFor(actor, (s) => s.matches('running'))
    for (let i = 0; i < 100; i++) actor.send({ type: 'snapshot.member-alive', name: `m${i}`, addr: ip(10, 0, 0, i), port: 7946 })
    actor.send({ type: 'snapshot.sync', replyTo: rt(1) })
    await waitFor(actor, (s) => s.context.diskError !== undefined)
    await tick()
    expect(replies.find((r) => r.cid === 1)).toMatchObject({ error: { code: 'ERR_SNAPSHOT_DISK_FULL', details: { op: 'append' } } })
    expect(actor.getSnapshot().context.diskError).toMatchObject({ code: 'ERR_SNAPSHOT_DISK_FULL' })
    actor.send({ type: 'snapshot.stats', replyTo: rt(2) })
    expect(replies.find((r) => r.cid === 2)).toMatchObject({ value: { diskError: { code: 'ERR_SNAPSHOT_DISK_FULL' }, durableThrough: 0, received: 100 } })
    fs.capacity = 1 << 20
    await clock.advance(1000) // the retry
    await waitFor(actor, (s) => s.context.diskError === undefined)
    actor.send({ type: 'snapshot.sync', replyTo: rt(3) })
    for (let i = 0; i < 10 && replies.find((r) => r.cid === 3) === undefined; i++) await tick()
    expect(replies.find((r) => r.cid === 3)).toMatchObject({ value: { received: 100, durableThrough: 100 } })
    actor.send({ type: 'runtime.shutdown' })
    await waitFor(actor, (s) => s.status === 'done')
    expect(actor.getSnapshot().context.shutdown).toMatchObject({ clean: true })
    expect(replaySnapshot(memory.get(PATH)!).aliveNodes.size).toBe(100)
  })

  it('keeps an honest shutdown report when the disk stays full', async () => {
    const fs = new LimitedDisk(1024)
    const { actor, clock } = start({ shutdownTimeoutMs: 2000 }, fs)
    await waitFor(actor, (s) => s.matches('running'))
    for (let i = 0; i < 100; i++) actor.send({ type: 'snapshot.member-alive', name: `m${i}`, addr: ip(10, 0, 0, i), port: 7946 })
    await waitFor(actor, (s) => s.context.diskError !== undefined)
    actor.send({ type: 'runtime.shutdown' })
    await tick()
    await clock.advance(2000)
    await waitFor(actor, (s) => s.status === 'done')
    expect(actor.getSnapshot().context.shutdown).toMatchObject({ clean: false, remaining: 100, error: { code: 'ERR_SNAPSHOT_DISK_FULL' } })
  })
})

describe('snapshotter - machine (shutdown during replay)', () => {
  it('fails the restore asks waiting for a replay that shutdown interrupts, instead of leaving them to time out', async () => {
    // The read never ends: the replay is still running when the shutdown comes.
    const disk = new MemoryDisk((op) => (op === 'read' ? new Promise<void>(() => {}) : undefined))
    const { actor, replies } = start({}, disk)
    actor.send({ type: 'snapshot.restore', replyTo: rt(1) })
    await tick()
    expect(replies).toEqual([])
    actor.send({ type: 'runtime.shutdown' })
    expect(replies).toEqual([{ cid: 1, error: expect.objectContaining({ code: 'ERR_SNAPSHOT_CLOSED' }) }])
    actor.send({ type: 'snapshot.restore', replyTo: rt(2) })
    expect(replies[1]).toMatchObject({ cid: 2, error: { code: 'ERR_SNAPSHOT_CLOSED' } })
    actor.stop()
  })
})

describe('snapshotter - machine (resource slot)', () => {
  it('keeps its writer in the actor resource slot: releasing the slots drains and fsyncs it', async () => {
    const disk = new MemoryDisk()
    const { actor, env } = start({}, disk)
    await waitFor(actor, (s) => s.matches('running'))
    for (let i = 0; i < 5; i++) actor.send({ type: 'snapshot.member-alive', name: `m${i}`, addr: ip(10, 0, 0, i), port: 1 })
    await tick()
    await tick()
    // The serf policy wrote them without an fsync: a power loss now would lose them.
    expect(replaySnapshot(disk.crashImage().get(PATH) ?? new Uint8Array()).aliveNodes.size).toBe(0)
    await env.resources!.closeAll()
    expect(replaySnapshot(disk.crashImage().get(PATH)!).aliveNodes.size).toBe(5)
    actor.stop()
  })
})

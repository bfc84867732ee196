import { describe, expect, it } from 'vitest'
import { initialCoreState, RECORD_TYPES, step, type CoreInput, type RecordMessage, type SnapshotterCoreState } from '../../../actors/snapshotter/core.ts'
import type { ReplyTo } from '../../../src/types/actor-env.ts'

const rt = <R>(cid: number) => ({ to: '$main', cid }) as ReplyTo<R>
const input = { path: '/data/s.snapshot', nodeName: 'me' }
const ip = new Uint8Array([10, 0, 0, 1])

const records: RecordMessage[] = [
  { type: 'snapshot.member-alive', name: 'a', addr: ip, port: 1 },
  { type: 'snapshot.member-not-alive', name: 'a' },
  { type: 'snapshot.clock', ltime: 1n },
  { type: 'snapshot.event-clock', ltime: 1n },
  { type: 'snapshot.query-clock', ltime: 1n },
  { type: 'snapshot.records', records: [{ kind: 'clock', ltime: 2n }] },
  { type: 'snapshot.members', members: [{ name: 'b', addr: ip, port: 2 }] },
]

const restore = { previousNodes: [], lastClock: 0n, lastEventClock: 0n, lastQueryClock: 0n, eventMinTime: 1n, queryMinTime: 1n, left: false, corruptLines: 0, tornBytes: 0, unknownLines: 0 }

/** Runs inputs in order, collecting every effect. */
function run(inputs: CoreInput[], from: SnapshotterCoreState = initialCoreState(input)) {
  let state = from
  const effects = []
  for (const i of inputs) {
    const r = step(state, i)
    state = r.state
    effects.push(...r.effects)
  }
  return { state, effects }
}

describe('snapshotter core', () => {
  it('covers every record message type', () => {
    expect(records.map((r) => r.type).sort()).toEqual([...RECORD_TYPES].sort())
  })

  // The machine's record path relies on this: it runs the answer without calling step.
  it('answers a record with the same state and one write of the message whenever the file has not failed to open', () => {
    const states: SnapshotterCoreState[] = [
      initialCoreState(input),
      run([{ type: 'snapshot.internal.opened', restore }]).state,
      run([{ type: 'snapshot.internal.opened', restore }, { type: 'snapshot.leave' }]).state,
      run([{ type: 'snapshot.internal.disk-error', error: { code: 'ERR_SNAPSHOT_DISK_FULL', message: 'full' } }]).state,
      run([{ type: 'snapshot.internal.compaction-started' }, { type: 'snapshot.internal.stopping' }]).state,
    ]
    for (const s of states) {
      for (const msg of records) {
        const r = step(s, msg)
        expect(r.state).toBe(s)
        expect(r.effects).toEqual([{ type: 'write', msg }])
        expect(r.effects[0]).toMatchObject({ msg: expect.objectContaining({ type: msg.type }) })
      }
    }
  })

  it('refuses and counts records once the file failed to open, and fails the asks with the open error', () => {
    const error = { code: 'ERR_SNAPSHOT_OPEN', message: 'EACCES' }
    const { state, effects } = run([
      { type: 'snapshot.restore', replyTo: rt(1) },
      { type: 'snapshot.internal.open-failed', error },
      records[0]!,
      records[5]!,
      { type: 'snapshot.sync', replyTo: rt(2) },
      { type: 'snapshot.leave', replyTo: rt(3) },
      { type: 'snapshot.restore', replyTo: rt(4) },
    ])
    expect(state.refused).toBe(2)
    expect(state.left).toBe(false)
    expect(effects.filter((e) => e.type === 'refuse')).toHaveLength(2)
    expect(effects.filter((e) => e.type === 'fail').map((e) => (e as { to: { cid: number } }).to.cid)).toEqual([1, 2, 3, 4])
    expect(effects.some((e) => e.type === 'write' || e.type === 'sync' || e.type === 'leave')).toBe(false)
  })

  it('answers restore asks queued during replay once it ends, and at once after', () => {
    const { state, effects } = run([
      { type: 'snapshot.restore', replyTo: rt(1) },
      { type: 'snapshot.restore', replyTo: rt(2) },
      { type: 'snapshot.internal.opened', restore },
      { type: 'snapshot.restore', replyTo: rt(3) },
    ])
    expect(state.restoreWaiters).toEqual([])
    expect(effects).toEqual([1, 2, 3].map((cid) => ({ type: 'reply', to: rt(cid), value: restore })))
  })

  it('fails restore asks still waiting for the replay when shutdown begins, and later ones at once', () => {
    const { state, effects } = run([{ type: 'snapshot.restore', replyTo: rt(1) }, { type: 'snapshot.internal.stopping' }, { type: 'snapshot.restore', replyTo: rt(2) }])
    expect(state.restoreWaiters).toEqual([])
    expect(effects).toEqual([1, 2].map((cid) => ({ type: 'fail', to: rt(cid), error: expect.objectContaining({ code: 'ERR_SNAPSHOT_CLOSED' }) })))
  })

  it('marks left on a leave unless rejoin-after-leave, and always hands the leave to the writer', () => {
    expect(run([{ type: 'snapshot.leave', replyTo: rt(1) }]).state.left).toBe(true)
    const rejoin = run([{ type: 'snapshot.leave', replyTo: rt(1) }], initialCoreState({ ...input, rejoinAfterLeave: true }))
    expect(rejoin.state.left).toBe(false)
    expect(rejoin.effects).toEqual([{ type: 'leave', replyTo: rt(1) }])
  })

  it('shows compactions and disk errors, and logs an unclean shutdown', () => {
    const error = { code: 'ERR_SNAPSHOT_DISK_FULL', message: 'full' }
    const report = { clean: false, remaining: 3, received: 5, durableThrough: 2, elapsedMs: 10, error }
    const { state, effects } = run([
      { type: 'snapshot.internal.compaction-started' },
      { type: 'snapshot.internal.compaction-finished', ok: true },
      { type: 'snapshot.internal.compaction-started' },
      { type: 'snapshot.internal.compaction-finished', ok: false },
      { type: 'snapshot.internal.disk-error', error },
      { type: 'snapshot.internal.stopped', report },
    ])
    expect(state).toMatchObject({ compacting: false, compactions: 1, diskError: error, shutdown: report })
    expect(effects).toEqual([{ type: 'log', level: 'warn', fields: expect.objectContaining({ remaining: 3 }), msg: expect.any(String) }])
    expect(step(state, { type: 'snapshot.internal.disk-recovered' }).state.diskError).toBeUndefined()
  })

  it('never changes the state it is given', () => {
    const s = initialCoreState(input)
    const frozen = JSON.stringify(s)
    run([{ type: 'snapshot.restore', replyTo: rt(1) }, { type: 'snapshot.leave' }, { type: 'snapshot.internal.opened', restore }], s)
    expect(JSON.stringify(s)).toBe(frozen)
  })
})

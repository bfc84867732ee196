/**
 * The nats backend's pure lease core, step by step: the effects each input gives, and the lease
 * arithmetic of nats-config.ts (the leader believes ttl × (1 − ρ)/(1 + ρ) − margin from its send).
 */
import { describe, expect, it } from 'vitest'
import { createNatsElectionConfig, natsLeaderLeaseMs, natsRenewIntervalMs } from '../../../actors/election/nats-config.ts'
import { stepNatsLease } from '../../../actors/election/nats-lease-core.ts'
import { initialNatsLease, type NatsLeaseInput, type NatsLeaseState } from '../../../actors/election/nats-lease-types.ts'

const config = createNatsElectionConfig({ servers: ['nats://x'], bucket: 'b', ttlMs: 1_000 })

function run(inputs: NatsLeaseInput[], state: NatsLeaseState = initialNatsLease(config, 'g', 'a')) {
  const effects: unknown[][] = []
  for (const i of inputs) {
    const r = stepNatsLease(state, i)
    state = r.state
    effects.push(r.effects.map((e) => (e.type === 'changed' ? { changed: e.change.reason, leader: e.change.leader, term: e.change.term } : e)))
  }
  return { state, effects }
}

describe('nats lease core', () => {
  it('lease arithmetic: 1 s TTL, 1% drift, 50 ms margin', () => {
    expect(natsLeaderLeaseMs(config)).toBe(Math.floor((1000 * 0.99) / 1.01) - 50) // 930
    expect(natsRenewIntervalMs(config)).toBe(333)
  })

  it('campaign on an unknown key creates at once; the win arms renew at TTL/3 and lease end from the send', () => {
    const { state, effects } = run([
      { type: 'campaign', now: 100 },
      { type: 'created', revision: 7, now: 110 },
    ])
    expect(effects[0]).toEqual([{ type: 'create', value: { holder: 'a', term: 0 } }])
    expect(effects[1]).toEqual([
      { type: 'set-timer', key: 'renew', ms: 323 },
      { type: 'set-timer', key: 'lease-end', ms: 920 },
      { changed: 'elected', leader: 'a', term: 7 },
    ])
    expect(state).toMatchObject({ role: 'leader', term: 7, leaseEnd: 1030 })
  })

  it('a renewal extends the lease from its own send; a failed one retries with backoff and the lease ends on time', () => {
    const won = run([
      { type: 'campaign', now: 0 },
      { type: 'created', revision: 1, now: 5 },
    ]).state
    const { state, effects } = run(
      [
        { type: 'timer', key: 'renew', now: 333 },
        { type: 'updated', revision: 2, now: 340 },
        { type: 'timer', key: 'renew', now: 666 },
        { type: 'update-failed', reason: 'error', now: 866 },
        { type: 'timer', key: 'lease-end', now: 1263 },
      ],
      won,
    )
    expect(effects[0]).toEqual([{ type: 'update', revision: 1, value: { holder: 'a', term: 1 } }])
    expect(effects[1]).toEqual([
      { type: 'set-timer', key: 'lease-end', ms: 923 }, // 333 + 930 − 340
      { type: 'set-timer', key: 'renew', ms: 326 },
    ])
    expect(effects[3]).toEqual([{ type: 'set-timer', key: 'renew', ms: 100 }])
    expect(effects[4]).toEqual([{ type: 'cancel-timer', key: 'renew' }, { changed: 'lease-expired', leader: null, term: 0 }, { type: 'set-timer', key: 'compete', ms: 90 }])
    expect(state).toMatchObject({ role: 'follower', stats: { stepDowns: 1, requestErrors: 1 } })
  })

  it('a follower that sees a holder competes TTL + slack after that write, and again every poll while the same entry is there', () => {
    const { effects } = run([
      { type: 'campaign', now: 0 },
      { type: 'create-failed', reason: 'exists', now: 5 },
      { type: 'observed', entry: { revision: 3, op: 'PUT', holder: 'b', term: 0 }, now: 10 },
      { type: 'timer', key: 'compete', now: 1030 },
      { type: 'create-failed', reason: 'exists', now: 1032 },
      { type: 'observed', entry: { revision: 3, op: 'PUT', holder: 'b', term: 0 }, now: 1034 },
    ])
    expect(effects[1]).toEqual([{ type: 'get' }, { type: 'set-timer', key: 'compete', ms: 50 }])
    expect(effects[2]).toEqual([{ changed: 'observed', leader: 'b', term: 3 }, { type: 'set-timer', key: 'compete', ms: 1020 }])
    expect(effects[3]).toEqual([{ type: 'create', value: { holder: 'a', term: 0 } }])
    // The same revision again: the estimate is not pushed back a whole TTL, only a poll.
    expect(effects[5]).toEqual([{ type: 'set-timer', key: 'compete', ms: 50 }])
  })

  it('a watched delete makes a follower create at once; a leader that sees another holder steps down at once', () => {
    const f = run([
      { type: 'campaign', now: 0 },
      { type: 'create-failed', reason: 'exists', now: 1 },
      { type: 'observed', entry: { revision: 3, op: 'PUT', holder: 'b', term: 0 }, now: 2 },
      { type: 'observed', entry: { revision: 4, op: 'DEL', holder: null, term: 0 }, now: 50 },
    ])
    expect(f.effects[3]).toEqual([{ changed: 'vacant', leader: null, term: 0 }, { type: 'create', value: { holder: 'a', term: 0 } }])
    const l = run([
      { type: 'campaign', now: 0 },
      { type: 'created', revision: 1, now: 1 },
      { type: 'observed', entry: { revision: 9, op: 'PUT', holder: 'b', term: 9 }, now: 20 },
    ])
    expect(l.effects[2]).toContainEqual({ changed: 'taken', leader: null, term: 0 })
    expect(l.effects[2]).toContainEqual({ changed: 'observed', leader: 'b', term: 9 })
    expect(l.state.role).toBe('follower')
  })

  it('an entry older than one seen is ignored and counted; a value not ours is counted', () => {
    const { state } = run([
      { type: 'observed', entry: { revision: 5, op: 'PUT', holder: null, term: 0 }, now: 1 },
      { type: 'observed', entry: { revision: 4, op: 'PUT', holder: 'b', term: 0 }, now: 2 },
    ])
    expect(state.stats).toMatchObject({ foreignValues: 1, staleEntries: 1 })
    expect(state.leader).toBe('?')
  })

  it('a resign deletes at the held revision; a create that lands after the resign is released', () => {
    const r = run([
      { type: 'campaign', now: 0 },
      { type: 'created', revision: 2, now: 1 },
      { type: 'resign', now: 10 },
    ])
    expect(r.effects[2]).toContainEqual({ type: 'delete', revision: 2 })
    const late = run([
      { type: 'campaign', now: 0 },
      { type: 'resign', now: 1 },
      { type: 'created', revision: 6, now: 2 },
    ])
    expect(late.effects[2]).toEqual([{ type: 'delete', revision: 6 }])
    expect(late.state.role).toBe('follower')
  })
})

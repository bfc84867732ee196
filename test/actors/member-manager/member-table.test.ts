import { describe, expect, it } from 'vitest'
import { node, table } from './fixtures.ts'

const H = 3_600_000

describe('MemberTable join intents (Serf TestSerf_joinIntent_*)', () => {
  it('buffers a join intent for an unknown member and rebroadcasts only when stored', () => {
    const { t, intents, clock } = table()
    expect(t.joinIntent('test', 10n, 0)).toMatchObject({ rebroadcast: true, outcome: 'buffered' })
    expect(intents.get('test', 'join')).toBe(10n)
    expect(clock.time()).toBe(11n) // witnessed before anything else
    expect(t.joinIntent('test', 10n, 0)).toMatchObject({ rebroadcast: false, outcome: 'stale' })
    expect(t.joinIntent('test', 9n, 0)).toMatchObject({ rebroadcast: false, outcome: 'stale' })
    expect(t.joinIntent('test', 12n, 0)).toMatchObject({ rebroadcast: true })
    expect(intents.get('test', 'join')).toBe(12n)
  })

  it('applies the buffered join LTime when the member appears', () => {
    const { t } = table()
    t.joinIntent('late', 10n, 0)
    expect(t.nodeJoined(node('late'), 5)).toEqual([expect.objectContaining({ event: 'member-join' })])
    expect(t.get('late')?.statusLTime).toBe(10n)
    expect(t.get('late')?.member.status).toBe('alive')
    // So an intent at or before it is now stale.
    expect(t.joinIntent('late', 10n, 6).outcome).toBe('stale')
  })

  it('ignores an old join intent for a known member', () => {
    const { t } = table()
    t.nodeJoined(node('a'), 0)
    t.joinIntent('a', 12n, 0)
    expect(t.joinIntent('a', 10n, 0)).toMatchObject({ rebroadcast: false, outcome: 'stale' })
    expect(t.get('a')?.statusLTime).toBe(12n)
    expect(t.metrics.staleIntents).toBe(1)
  })

  it('applies a newer join intent and brings a leaving member back to alive', () => {
    const { t, clock } = table()
    t.nodeJoined(node('a'), 0)
    t.leaveIntent('a', 12n, false, 0)
    expect(t.get('a')?.member.status).toBe('leaving')
    expect(t.joinIntent('a', 14n, 0)).toMatchObject({ rebroadcast: true, outcome: 'applied' })
    expect(t.get('a')?.member.status).toBe('alive')
    expect(t.get('a')?.statusLTime).toBe(14n)
    expect(clock.time()).toBe(15n)
  })
})

describe('MemberTable leave intents (Serf TestSerf_leaveIntent_*)', () => {
  it('buffers a leave for an unknown member; the member then starts as leaving and goes left, not failed', () => {
    const { t } = table()
    expect(t.leaveIntent('early', 10n, false, 0)).toMatchObject({ rebroadcast: true, outcome: 'buffered' })
    t.nodeJoined(node('early'), 1)
    expect(t.get('early')?.member.status).toBe('leaving')
    expect(t.get('early')?.statusLTime).toBe(10n)
    expect(t.nodeLeft(node('early'), 2)).toEqual([expect.objectContaining({ event: 'member-leave' })])
    expect(t.get('early')?.member.status).toBe('left')
  })

  it('keeps only the newest buffered intent per node (a later join beats an earlier leave)', () => {
    const { t } = table()
    t.leaveIntent('x', 10n, false, 0)
    t.joinIntent('x', 11n, 0)
    t.nodeJoined(node('x'), 1)
    expect(t.get('x')?.member.status).toBe('alive')
    expect(t.get('x')?.statusLTime).toBe(11n)
  })

  it('ignores a stale leave and applies a newer one (alive → leaving)', () => {
    const { t } = table()
    t.nodeJoined(node('a'), 0)
    t.joinIntent('a', 12n, 0)
    expect(t.leaveIntent('a', 10n, false, 0)).toMatchObject({ rebroadcast: false, outcome: 'stale' })
    expect(t.get('a')?.member.status).toBe('alive')
    expect(t.leaveIntent('a', 14n, false, 0)).toMatchObject({ rebroadcast: true, outcome: 'applied' })
    expect(t.get('a')?.member.status).toBe('leaving')
  })

  it('does not rebroadcast the same leave forever once leaving', () => {
    const { t } = table()
    t.nodeJoined(node('a'), 0)
    expect(t.leaveIntent('a', 5n, false, 0).rebroadcast).toBe(true)
    expect(t.leaveIntent('a', 5n, false, 0).rebroadcast).toBe(false)
  })

  it('turns a failed member into left with a member-leave event', () => {
    const { t } = table()
    t.nodeJoined(node('a'), 0)
    t.nodeLeft(node('a'), 1)
    expect(t.get('a')?.member.status).toBe('failed')
    const r = t.leaveIntent('a', 3n, false, 2)
    expect(r.events.map((e) => e.event)).toEqual(['member-leave'])
    expect(t.get('a')?.member.status).toBe('left')
    expect(t.counts()).toMatchObject({ failed: 0, left: 1, total: 1 })
  })

  it('refutes a leave intent about ourselves while alive, without rebroadcasting it', () => {
    const { t } = table('self')
    t.nodeJoined(node('self'), 0)
    expect(t.leaveIntent('self', 4n, false, 0)).toMatchObject({ rebroadcast: false, outcome: 'refuted' })
    expect(t.get('self')?.member.status).toBe('alive')
    t.localState = 'leaving'
    expect(t.leaveIntent('self', 5n, false, 0)).toMatchObject({ rebroadcast: true, outcome: 'applied' })
  })

  it('prunes: a left member is erased at once, a leaving one after the prune delay', () => {
    const { t } = table('self', { pruneDelayMs: 6000 })
    t.nodeJoined(node('gone'), 0)
    t.nodeLeft(node('gone'), 0) // failed
    t.leaveIntent('gone', 1n, false, 0) // left
    const r = t.leaveIntent('gone', 2n, true, 0)
    expect(r.events.map((e) => e.event)).toEqual(['member-reap'])
    expect(t.get('gone')).toBeUndefined()

    t.nodeJoined(node('busy'), 0)
    const p = t.leaveIntent('busy', 3n, true, 0)
    expect(p.pruneAfterMs).toBe(6000)
    expect(t.get('busy')?.member.status).toBe('leaving')
    expect(t.pruneDue('busy').map((e) => e.event)).toEqual(['member-reap'])
    expect(t.size).toBe(0)
  })
})

describe('MemberTable lifecycle', () => {
  it('maps memberlist leave to failed for an alive member and ignores it for unknown or already-down ones', () => {
    const { t } = table()
    t.nodeJoined(node('a'), 0)
    expect(t.nodeLeft(node('a'), 10).map((e) => e.event)).toEqual(['member-failed'])
    expect(t.nodeLeft(node('a'), 11)).toEqual([])
    expect(t.nodeLeft(node('nobody'), 11)).toEqual([])
    expect(t.get('a')?.leaveTimeMs).toBe(10)
    expect(t.metrics.ignoredNotices).toBe(2) // counted, not silently dropped
  })

  it('revives a failed member on rejoin, counting a flap within FlapTimeout', () => {
    const { t } = table()
    t.nodeJoined(node('a'), 0)
    t.nodeLeft(node('a'), 1000)
    expect(t.nodeJoined(node('a', { v: '2' }, 8000), 2000).map((e) => e.event)).toEqual(['member-join'])
    expect(t.get('a')?.member).toMatchObject({ status: 'alive', port: 8000, tags: { v: '2' } })
    expect(t.get('a')?.leaveTimeMs).toBeUndefined()
    expect(t.metrics.flaps).toBe(1)
    expect(t.counts()).toMatchObject({ alive: 1, failed: 0, total: 1 })
  })

  it('emits member-update with the new tags on a memberlist update', () => {
    const { t } = table()
    t.nodeJoined(node('a', { role: 'web' }), 0)
    const ev = t.nodeUpdated(node('a', { role: 'db' }))
    expect(ev).toHaveLength(1)
    expect(ev[0]).toMatchObject({ event: 'member-update', member: { name: 'a', tags: { role: 'db' } } })
    expect(t.nodeUpdated(node('unknown'))).toEqual([])
    expect(t.metrics.ignoredNotices).toBe(1)
  })

  it("sets our own tags at once (Serf's SetTags), and swim's echo of them, even an older one, changes nothing", () => {
    const { t } = table('self')
    expect(t.setLocalTags({ role: 'web' })).toEqual([]) // before we joined: nothing to update
    t.nodeJoined(node('self', { role: 'web' }), 0)
    expect(t.setLocalTags({ role: 'web' })).toEqual([]) // the same tags
    expect(t.setLocalTags({ role: 'db' })).toMatchObject([{ event: 'member-update', member: { name: 'self', tags: { role: 'db' } } }])
    expect(t.setLocalTags({ role: 'cache' })).toHaveLength(1)
    // swim's updates of our node come after, in order: the first carries the Meta of 'db'.
    expect(t.nodeUpdated(node('self', { role: 'db' }))).toEqual([])
    expect(t.nodeUpdated(node('self', { role: 'cache' }))).toEqual([])
    expect(t.get('self')?.member.tags).toEqual({ role: 'cache' })
    // An address change of our node still shows, with our own tags.
    expect(t.nodeUpdated(node('self', { role: 'db' }, 7000))).toMatchObject([{ event: 'member-update', member: { port: 7000, tags: { role: 'cache' } } }])
  })

  it('hands out copies: mutating an event member does not touch the table', () => {
    const { t } = table()
    const [ev] = t.nodeJoined(node('a', { k: 'v' }), 0)
    ;(ev!.member.tags as Record<string, string>)['k'] = 'changed'
    ev!.member.status = 'failed'
    expect(t.get('a')?.member).toMatchObject({ status: 'alive', tags: { k: 'v' } })
  })

  it('shares no address bytes with the sender or with readers', () => {
    const { t } = table()
    const sent = node('a')
    const [ev] = t.nodeJoined(sent, 0)
    sent.addr[3] = 99 // the sender reuses its buffer (inline placement passes it by reference)
    ev!.member.addr[3] = 98
    t.members()[0]!.addr[3] = 97
    expect(t.get('a')?.member.addr).toEqual(Uint8Array.of(127, 0, 0, 1))
    const updated = node('a')
    t.nodeUpdated(updated)
    updated.addr[0] = 1
    expect(t.get('a')?.member.addr).toEqual(Uint8Array.of(127, 0, 0, 1))
  })

  it('counts malformed Meta instead of throwing', () => {
    const { t } = table()
    t.nodeJoined({ ...node('bad'), meta: Uint8Array.of(0xff, 0x81, 0xa1) }, 0)
    expect(t.metrics.malformedMeta).toBe(1)
    expect(t.get('bad')?.member.status).toBe('alive')
  })
})

describe('MemberTable reaper (lesson 000: one table, counts agree)', () => {
  it('reaps failed after reconnectTimeout and left after tombstoneTimeout from the one table', () => {
    const { t } = table()
    for (const n of ['a', 'b', 'c', 'd']) t.nodeJoined(node(n), 0)
    t.nodeLeft(node('a'), 0) // failed at 0
    t.leaveIntent('b', 1n, false, 0)
    t.nodeLeft(node('b'), 0) // left at 0
    expect(t.counts()).toEqual({ alive: 2, leaving: 0, left: 1, failed: 1, total: 4 })

    expect(t.reap(24 * H, 24 * H, 48 * H, 300_000)).toEqual([]) // not strictly past yet
    const ev = t.reap(24 * H + 1, 24 * H, 48 * H, 300_000)
    expect(ev.map((e) => [e.event, e.member.name])).toEqual([['member-reap', 'a']])
    expect(t.members().map((m) => m.name).sort()).toEqual(['b', 'c', 'd'])
    expect(t.counts()).toEqual({ alive: 2, leaving: 0, left: 1, failed: 0, total: 3 })

    const ev2 = t.reap(48 * H + 1, 24 * H, 48 * H, 300_000)
    expect(ev2.map((e) => e.member.name)).toEqual(['b'])
    expect(t.counts()).toEqual(t.recount())
    expect(t.counts()).toEqual({ alive: 2, leaving: 0, left: 0, failed: 0, total: 2 })
    expect(t.members().length).toBe(t.counts().total)
    expect(t.metrics.reaped).toBe(2)
  })

  it('expires buffered intents after RecentIntentTimeout on the reap tick', () => {
    const { t, intents } = table()
    t.joinIntent('ghost', 3n, 0)
    t.reap(300_000, 1, 1, 300_000)
    expect(intents.size).toBe(1)
    t.reap(300_001, 1, 1, 300_000)
    expect(intents.size).toBe(0)
    expect(intents.expired).toBe(1)
  })

  it('bounds the intent buffer, evicting the oldest stored and counting it', () => {
    const { t, intents } = table('self', { maxIntents: 3 })
    for (let i = 0; i < 5; i++) t.joinIntent(`n${i}`, BigInt(i + 1), i)
    expect(intents.size).toBe(3)
    expect(intents.evicted).toBe(2)
    expect(intents.entry('n0')).toBeUndefined()
    expect(intents.entry('n4')?.ltime).toBe(5n)
  })

  it('keeps kept counts equal to a recount through a random sequence of writes', () => {
    const { t } = table()
    let seed = 7
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    for (let i = 0; i < 2000; i++) {
      const name = `n${rnd(12)}`
      const op = rnd(7)
      const now = i * 1000
      if (op === 0) t.nodeJoined(node(name), now)
      else if (op === 1) t.nodeLeft(node(name), now)
      else if (op === 2) t.joinIntent(name, BigInt(rnd(50)), now)
      else if (op === 3) t.leaveIntent(name, BigInt(rnd(50)), rnd(5) === 0, now)
      else if (op === 4) t.reap(now, 20_000, 40_000, 60_000)
      else if (op === 5) t.nodeUpdated(node(name, { i: String(i) }))
      else t.pruneDue(name)
      expect(t.counts()).toEqual(t.recount())
      expect(t.members().length).toBe(t.size)
    }
  })
})

/**
 * member-feed.ts: what swim sends member-manager, against a scripted env: the turn's node changes in
 * numbered batches of at most MAX_NODE_CHANGES, in order with the other messages, one message per
 * turn of room in the mailbox, a refused one sent again, a queue bounded by a resync of the table.
 */
import { describe, expect, it } from 'vitest'
import { createMemberFeed, MIN_FEED_BOUND } from '../../../actors/swim/member-feed.ts'
import type { MemberFeedSource } from '../../../actors/swim/member-feed.ts'
import { MAX_NODE_CHANGES } from '../../../actors/member-manager/protocol.ts'
import type { MemberManagerInbound, NodeInfo, NodesChangedMsg } from '../../../actors/member-manager/protocol.ts'
import type { Message, SendStatus } from '../../../src/types/actor-env.ts'

const info = (name: string, state: NodeInfo['state'] = 'alive'): NodeInfo => ({
  name,
  addr: Uint8Array.of(10, 0, 0, 1),
  port: 7946,
  meta: new Uint8Array(0),
  vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
  incarnation: 1,
  state,
})

/** Lets queued microtasks and promise callbacks run. */
const settle = () => new Promise<void>((r) => setImmediate(r))

interface Options {
  /** Give the env a whenReady whose promises the test resolves (`gate`), or resolved at once. */
  ready?: 'gate' | 'open' | 'none'
  table?: NodeInfo[]
}

function world(options: Options = {}) {
  const sent: MemberManagerInbound[] = []
  const statuses: SendStatus[] = []
  const waiting: Array<() => void> = []
  let undelivered = 0
  const table = options.table ?? []
  const env = {
    send: (_to: string, msg: Message): SendStatus => {
      const status = statuses.shift() ?? 'ok'
      if (status === 'ok' || status === 'backpressure' || status === 'displaced') sent.push(msg as MemberManagerInbound)
      return status
    },
    ...(options.ready === 'none'
      ? {}
      : { whenReady: (): Promise<void> => (options.ready === 'gate' ? new Promise<void>((r) => waiting.push(r)) : Promise.resolve()) }),
  }
  const source: MemberFeedSource = { to: () => 'member-manager', nodes: () => table, tableSize: () => table.length, undelivered: () => void undelivered++ }
  const feed = createMemberFeed(env, source)
  /** Opens the mailbox for one message (resolves the oldest whenReady). */
  const room = async () => {
    await settle()
    waiting.shift()?.()
    await settle()
  }
  return { feed, sent, statuses, waiting, room, undelivered: () => undelivered, table }
}

const batch = (m: MemberManagerInbound) => m as NodesChangedMsg
const names = (m: MemberManagerInbound) => batch(m).changes.map((c) => c.node.name)

describe('MemberFeed', () => {
  it('sends the changes of one turn as numbered batches of at most MAX_NODE_CHANGES', async () => {
    const w = world({ ready: 'open' })
    const count = 2 * MAX_NODE_CHANGES + 76
    for (let i = 0; i < count; i++) w.feed.change('joined', info(`n${i}`))
    expect(w.sent).toEqual([]) // nothing before the end of the turn
    await settle()
    expect(w.sent.map((m) => [m.type, batch(m).seq, batch(m).changes.length])).toEqual([
      ['member.nodes-changed', 1, MAX_NODE_CHANGES],
      ['member.nodes-changed', 2, MAX_NODE_CHANGES],
      ['member.nodes-changed', 3, 76],
    ])
    expect(names(w.sent[2]!).at(-1)).toBe(`n${count - 1}`)
    expect(w.feed.stats).toMatchObject({ messages: 3, changes: count, queued: 0, undelivered: 0 })
  })

  it('sends a lone change as its single message, numbered in the same sequence', async () => {
    const w = world({ ready: 'open' })
    w.feed.change('left', info('a', 'dead'))
    await settle()
    w.feed.change('joined', info('b'))
    w.feed.change('updated', info('b'))
    await settle()
    expect(w.sent).toEqual([
      { type: 'member.node-left', node: info('a', 'dead'), seq: 1 },
      { type: 'member.nodes-changed', seq: 2, changes: [{ kind: 'joined', node: info('b') }, { kind: 'updated', node: info('b') }] },
    ])
  })

  it('keeps swim order: another message closes the open batch and goes after it', async () => {
    const w = world({ ready: 'open' })
    w.feed.change('joined', info('a'))
    w.feed.change('joined', info('b'))
    w.feed.message({ type: 'member.merge-remote-state', bytes: Uint8Array.of(2), join: true })
    w.feed.change('joined', info('c'))
    await settle()
    expect(w.sent.map((m) => m.type)).toEqual(['member.nodes-changed', 'member.merge-remote-state', 'member.node-joined'])
    expect(names(w.sent[0]!)).toEqual(['a', 'b'])
  })

  it('offers one message per turn of room, so it never fills the mailbox past its bound itself', async () => {
    const w = world({ ready: 'gate' })
    for (let i = 0; i < 3 * MAX_NODE_CHANGES; i++) w.feed.change('joined', info(`n${i}`))
    await settle()
    expect(w.sent).toHaveLength(0)
    expect(w.feed.stats.queued).toBe(3 * MAX_NODE_CHANGES)
    await w.room()
    expect(w.sent.map((m) => batch(m).seq)).toEqual([1])
    await w.room()
    await w.room()
    expect(w.sent.map((m) => batch(m).seq)).toEqual([1, 2, 3])
    await settle()
    expect(w.feed.stats.queued).toBe(0)
  })

  it('keeps a message the mailbox refused and sends it again, same seq, when there is room', async () => {
    const w = world({ ready: 'gate' })
    w.feed.change('joined', info('a'))
    w.feed.change('joined', info('b'))
    w.statuses.push('rejected')
    await w.room() // offered: refused
    expect(w.sent).toHaveLength(0)
    expect(w.feed.stats).toMatchObject({ deferred: 1, waits: 1, messages: 0 })
    await w.room() // room again: the same batch
    expect(w.sent.map((m) => [batch(m).seq, names(m)])).toEqual([[1, ['a', 'b']]])
    expect(w.undelivered()).toBe(0)
  })

  it('counts and drops what no member-manager takes (unknown or stopped), numbering on', async () => {
    const w = world({ ready: 'open' })
    w.statuses.push('unknown')
    w.feed.change('joined', info('a'))
    await settle()
    w.feed.change('joined', info('b'))
    await settle()
    expect(w.sent).toEqual([{ type: 'member.node-joined', node: info('b'), seq: 2 }])
    expect(w.feed.stats.undelivered).toBe(1)
    expect(w.undelivered()).toBe(1)
  })

  it('replaces its queue by one resync past its bound, and sends the table when member-manager has room', async () => {
    const table = [info('self'), info('x'), info('gone', 'dead')]
    const w = world({ ready: 'gate', table })
    w.feed.change('joined', info('first'))
    w.feed.message({ type: 'member.join-completed', numJoined: 1 })
    for (let i = 0; i < MIN_FEED_BOUND; i++) w.feed.change('joined', info(`n${i}`)) // one past the bound with 'first'
    w.feed.change('joined', info('late')) // covered by the resync queued meanwhile
    await settle()
    expect(w.feed.stats).toMatchObject({ collapsed: MIN_FEED_BOUND + 2, queued: 2 })
    await w.room()
    await w.room()
    await settle()
    expect(w.sent).toEqual([
      { type: 'member.join-completed', numJoined: 1 },
      { type: 'member.nodes-changed', seq: 1, resync: true, changes: table.map((node) => ({ kind: 'state', node })) },
    ])
    expect(w.feed.stats).toMatchObject({ resyncs: 1, queued: 0 })
  })

  it('resends the whole table on request, in batches, the first flagged; a second request while one waits adds nothing', async () => {
    const table = Array.from({ length: MAX_NODE_CHANGES + 1 }, (_, i) => info(`t${i}`))
    const w = world({ ready: 'open', table })
    w.feed.resync()
    w.feed.resync()
    await settle()
    expect(w.sent.map((m) => [batch(m).seq, batch(m).resync, batch(m).changes.length])).toEqual([
      [1, true, MAX_NODE_CHANGES],
      [2, undefined, 1],
    ])
    expect(batch(w.sent[1]!).changes[0]).toEqual({ kind: 'state', node: table.at(-1) })
    expect(w.feed.stats.resyncs).toBe(1)
  })

  it('says a resync of an empty table happened: one empty batch flagged resync', async () => {
    const w = world({ ready: 'open' })
    w.feed.resync()
    await settle()
    expect(w.sent).toEqual([{ type: 'member.nodes-changed', seq: 1, changes: [], resync: true }])
  })

  it('without whenReady (a hand-built env) sends at once, and drops a refused message, counted', async () => {
    const w = world({ ready: 'none' })
    w.feed.message({ type: 'member.swim-left' })
    expect(w.sent).toEqual([{ type: 'member.swim-left' }])
    w.statuses.push('rejected')
    w.feed.change('joined', info('a'))
    await settle()
    expect(w.sent).toHaveLength(1)
    expect([w.feed.stats.undelivered, w.undelivered()]).toEqual([1, 1])
  })
})

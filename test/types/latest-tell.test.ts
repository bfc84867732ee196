/**
 * latest-tell.ts: a value-only tell (cluster sizes to gossip-queue) goes once per turn, the latest,
 * and a send refused by a full mailbox goes again, with the value latest by then, once it has room.
 */
import { describe, expect, it } from 'vitest'
import { createLatestTell } from '../../src/types/latest-tell.ts'
import type { Message, SendStatus } from '../../src/types/actor-env.ts'

type SizeMsg = { type: 'gossip.cluster-size'; source: 'memberlist'; numNodes: number }
const size = (numNodes: number): SizeMsg => ({ type: 'gossip.cluster-size', source: 'memberlist', numNodes })
const settle = () => new Promise<void>((r) => setImmediate(r))

function world(withReady = true) {
  const sent: Array<{ to: string; msg: Message }> = []
  const statuses: SendStatus[] = []
  const waiting: Array<() => void> = []
  let undelivered = 0
  const env = {
    send: (to: string, msg: Message): SendStatus => {
      const status = statuses.shift() ?? 'ok'
      if (status === 'ok' || status === 'backpressure') sent.push({ to, msg })
      return status
    },
    ...(withReady ? { whenReady: () => new Promise<void>((r) => waiting.push(r)) } : {}),
  }
  const tell = createLatestTell<SizeMsg>(env, () => 'gossip-queue', () => void undelivered++)
  return { tell, sent, statuses, waiting, undelivered: () => undelivered }
}

describe('LatestTell', () => {
  it('sends the values set in one turn once, the latest, at the end of the turn', async () => {
    const w = world()
    for (let n = 1; n <= 10_000; n++) w.tell.set(size(n))
    expect(w.sent).toEqual([])
    await settle()
    expect(w.sent).toEqual([{ to: 'gossip-queue', msg: size(10_000) }])
    expect(w.tell.stats).toMatchObject({ sent: 1, coalesced: 9_999 })
    w.tell.set(size(7))
    await settle()
    expect(w.sent.at(-1)?.msg).toEqual(size(7))
  })

  it('sends a refused value again once the mailbox has room, the latest by then', async () => {
    const w = world()
    w.statuses.push('rejected')
    w.tell.set(size(5))
    await settle()
    expect(w.sent).toEqual([])
    w.tell.set(size(6)) // while waiting for room: replaces the refused 5
    await settle()
    expect(w.sent).toEqual([])
    expect(w.waiting).toHaveLength(1)
    w.waiting.shift()!()
    await settle()
    expect(w.sent.map((s) => s.msg)).toEqual([size(6)])
    expect(w.tell.stats).toMatchObject({ retried: 1, sent: 1, undelivered: 0 })
  })

  it('counts and drops a value nobody takes (unknown, stopped), or a refused one with no way to wait', async () => {
    const w = world()
    w.statuses.push('unknown', 'stopped')
    w.tell.set(size(1))
    await settle()
    w.tell.set(size(2))
    await settle()
    expect(w.sent).toEqual([])
    expect([w.tell.stats.undelivered, w.undelivered()]).toEqual([2, 2])
    const bare = world(false)
    bare.statuses.push('rejected')
    bare.tell.set(size(3))
    await settle()
    expect([bare.sent.length, bare.tell.stats.undelivered, bare.undelivered()]).toEqual([0, 1, 1])
  })
})

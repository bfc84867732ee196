import { describe, expect, it } from 'vitest'
import { TransmitQueue, retransmitLimit } from '../../../actors/gossip-queue/transmit-queue.ts'
import type { QueuedBroadcast } from '../../../actors/gossip-queue/transmit-queue.ts'
import type { BroadcastOutcome } from '../../../actors/gossip-queue/protocol.ts'

/** A message whose bytes spell its label, padded to `len` so length-ordering can be tested. */
function msg(label: string, len = label.length): Uint8Array {
  const out = new Uint8Array(len)
  out.set(new TextEncoder().encode(label).subarray(0, len))
  return out
}

function label(m: Uint8Array): string {
  return new TextDecoder().decode(m).replace(/\0+$/, '')
}

function queue(mult: number, numNodes: number) {
  const left: Array<{ tag: string; outcome: BroadcastOutcome }> = []
  const q = new TransmitQueue<string>(mult, (item: QueuedBroadcast<string>, outcome) => left.push({ tag: item.tag, outcome }))
  q.setNumNodes(numNodes)
  return { q, left }
}

describe('retransmitLimit', () => {
  const rows: Array<[mult: number, n: number, limit: number]> = [
    [4, 0, 4], // floor: an unknown (0) size counts as 1 node, never a limit of 0
    [4, -3, 4],
    [2, 0, 2],
    [4, 1, 4],
    [4, 9, 4],
    [4, 10, 8],
    [4, 99, 8],
    [4, 100, 12],
    [4, 999, 12],
    [4, 1000, 16],
    [2, 5, 2],
    [3, 99, 6],
  ]
  it.each(rows)('is mult %i x ceil(log10(%i + 1)) = %i', (mult, n, limit) => {
    expect(retransmitLimit(mult, n)).toBe(limit)
  })

  it.each([
    [2, 9, 6, 6], // Local, 9 nodes: memberlist's 2 raised to the floor
    [4, 5, 6, 6],
    [4, 10, 6, 8], // the formula above the floor wins
    [4, 9, 0, 4], // 0: no floor
  ])('is mult %i, n %i with minRetransmits %i: %i', (mult, n, min, limit) => {
    expect(retransmitLimit(mult, n, min)).toBe(limit)
  })
})

describe('TransmitQueue ordering', () => {
  it('orders fewer transmits first, then longer, then newer', () => {
    const { q } = queue(4, 10)
    q.enqueue(msg('a', 3), { tag: 'a' })
    q.enqueue(msg('b', 5), { tag: 'b' })
    q.enqueue(msg('c', 3), { tag: 'c' })
    q.enqueue(msg('d', 1), { tag: 'd' })
    expect([...q.ordered()].map((i) => i.tag)).toEqual(['b', 'c', 'a', 'd'])
    // Transmit only the longest: it moves behind every untransmitted item.
    const out: Uint8Array[] = []
    q.fill(0, 5, out)
    expect(out.map(label)).toEqual(['b'])
    expect([...q.ordered()].map((i) => [i.tag, i.transmits])).toEqual([
      ['c', 0],
      ['a', 0],
      ['d', 0],
      ['b', 1],
    ])
  })

  it('keeps newest-first order for equal lengths and transmit counts (memberlist TestTransmitLimited_Queue)', () => {
    const { q } = queue(1, 1)
    q.enqueue(msg('test'), { name: 'test', tag: 'test' })
    q.enqueue(msg('foo'), { name: 'foo', tag: 'foo' })
    q.enqueue(msg('bar'), { name: 'bar', tag: 'bar' })
    expect(q.depth).toBe(3)
    expect([...q.ordered()].map((i) => i.tag)).toEqual(['test', 'bar', 'foo'])
  })
})

describe('TransmitQueue invalidation', () => {
  it('replaces an older named broadcast about the same node', () => {
    const { q, left } = queue(1, 1)
    q.enqueue(msg('alive-1'), { name: 'node-a', tag: 'first' })
    q.enqueue(msg('alive-b'), { name: 'node-b', tag: 'other' })
    q.enqueue(msg('dead-1'), { name: 'node-a', tag: 'second' })
    expect(q.depth).toBe(2)
    expect([...q.ordered()].map((i) => i.tag).sort()).toEqual(['other', 'second'])
    expect(left).toEqual([{ tag: 'first', outcome: 'invalidated' }])
    expect(q.counters.invalidated).toBe(1)
  })

  it('never invalidates with or against unique broadcasts', () => {
    const { q, left } = queue(1, 1)
    q.enqueue(msg('join-x'), { unique: true, tag: 'u1' })
    q.enqueue(msg('join-x'), { unique: true, tag: 'u2' })
    q.enqueue(msg('named'), { name: 'x', tag: 'n1' })
    // A unique broadcast carrying a name is still unique: it does not replace 'n1'.
    q.enqueue(msg('uniq-named'), { name: 'x', unique: true, tag: 'u3' })
    expect(q.depth).toBe(4)
    expect(left).toEqual([])
  })

  it('replaces a named broadcast even after it was transmitted', () => {
    const { q, left } = queue(4, 10)
    q.enqueue(msg('suspect-a'), { name: 'a', tag: 'suspect' })
    q.fill(2, 100)
    q.enqueue(msg('alive-a'), { name: 'a', tag: 'alive' })
    expect([...q.ordered()].map((i) => [i.tag, i.transmits])).toEqual([['alive', 0]])
    expect(left).toEqual([{ tag: 'suspect', outcome: 'invalidated' }])
  })
})

describe('TransmitQueue.fill', () => {
  it('returns every message that fits and charges overhead per part (TestTransmitLimited_GetBroadcasts)', () => {
    const { q } = queue(3, 10)
    for (const name of ['test', 'foo', 'bar', 'baz']) q.enqueue(msg(`${name}-mesg`.padEnd(10, '.'), 10), { name, tag: name })
    const out: Uint8Array[] = []
    const used = q.fill(2, 80, out)
    expect(out).toHaveLength(4)
    expect(used).toBe(4 * 12)
    // 3 messages of 10 + 2 overhead fill 36 of 40; the 4th would need 48.
    const out2: Uint8Array[] = []
    expect(q.fill(2, 40, out2)).toBe(36)
    expect(out2).toHaveLength(3)
  })

  it('removes a broadcast after retransmitLimit transmits (TestTransmitLimited_GetBroadcasts_Limit)', () => {
    const { q, left } = queue(1, 10) // limit 1 x ceil(log10(11)) = 2
    expect(q.retransmitLimit).toBe(2)
    for (const name of ['test', 'foo', 'bar', 'baz']) q.enqueue(msg(name), { name, tag: name })
    const first: Uint8Array[] = []
    q.fill(3, 3 + 4 + 3 + 3) // room for exactly two parts
    expect(q.depth).toBe(4)
    const transmitCounts = [...q.ordered()].map((i) => i.transmits).sort()
    expect(transmitCounts).toEqual([0, 0, 1, 1])
    // Keep filling until the queue empties: 4 broadcasts x 2 transmits = 8 handouts.
    let handouts = 2
    for (let i = 0; i < 10 && q.depth > 0; i++) {
      q.fill(3, 1000, first)
    }
    handouts += first.length
    expect(handouts).toBe(8)
    expect(q.depth).toBe(0)
    expect(left.map((l) => l.outcome)).toEqual(['transmitted', 'transmitted', 'transmitted', 'transmitted'])
    expect(q.counters.finished).toBe(4)
  })

  it('packs the largest message that still fits the remaining budget', () => {
    const { q } = queue(4, 10)
    q.enqueue(msg('L', 50), { tag: 'L' })
    q.enqueue(msg('M', 30), { tag: 'M' })
    q.enqueue(msg('S', 10), { tag: 'S' })
    q.enqueue(msg('T', 5), { tag: 'T' })
    const out: Uint8Array[] = []
    // budget 60, overhead 2: L (52) leaves 8 → free 6 → T (7) leaves 1 → stop.
    expect(q.fill(2, 60, out)).toBe(59)
    expect(out.map(label)).toEqual(['L', 'T'])
  })

  it('hands out each broadcast at most once per fill, walking tiers upward', () => {
    const { q } = queue(4, 10)
    q.enqueue(msg('a', 10), { tag: 'a' })
    q.enqueue(msg('b', 10), { tag: 'b' })
    q.fill(0, 10) // a or b moves to tier 1
    const out: Uint8Array[] = []
    q.fill(0, 1000, out)
    expect(out.map(label).sort()).toEqual(['a', 'b'])
  })

  it('returns nothing when the budget is used up by the overhead', () => {
    const { q } = queue(4, 10)
    q.enqueue(msg('x', 1), { tag: 'x' })
    const out: Uint8Array[] = []
    expect(q.fill(5, 5, out)).toBe(0)
    expect(out).toEqual([])
  })

  it('resets ids when the queue empties', () => {
    const { q } = queue(1, 1) // limit 1: every fill finishes what it hands out
    q.enqueue(msg('a'), { tag: 'a' })
    q.enqueue(msg('b'), { tag: 'b' })
    q.fill(0, 100)
    expect(q.depth).toBe(0)
    q.enqueue(msg('c'), { tag: 'c' })
    expect([...q.ordered()][0]!.id).toBe(0)
  })

  it('uses the cluster size set last, not one captured at enqueue', () => {
    const { q } = queue(1, 100) // limit 3
    q.enqueue(msg('x'), { tag: 'x' })
    q.fill(0, 100)
    q.setNumNodes(1) // limit 1: already reached, the next transmit is the last
    q.fill(0, 100)
    expect(q.depth).toBe(0)
    expect(q.counters.transmits).toBe(2)
  })
})

describe('TransmitQueue.prune', () => {
  it('drops from the most-transmitted end and counts every drop (TestTransmitLimited_Prune)', () => {
    const { q, left } = queue(1, 1)
    for (const name of ['test', 'foo', 'bar', 'baz']) q.enqueue(msg(name), { name, tag: name })
    // Ordering: test (len 4), then baz, bar, foo (newest first).
    expect(q.prune(2)).toBe(2)
    expect(q.depth).toBe(2)
    expect([...q.ordered()].map((i) => i.tag)).toEqual(['test', 'baz'])
    expect(left).toEqual([
      { tag: 'foo', outcome: 'pruned' },
      { tag: 'bar', outcome: 'pruned' },
    ])
    expect(q.counters.pruned).toBe(2)
  })

  it('prunes transmitted broadcasts before fresh ones', () => {
    const { q } = queue(4, 10)
    q.enqueue(msg('old', 3), { tag: 'old' })
    q.fill(0, 3)
    q.enqueue(msg('new', 3), { tag: 'new' })
    q.prune(1)
    expect([...q.ordered()].map((i) => i.tag)).toEqual(['new'])
  })

  it('frees the name of a pruned broadcast', () => {
    const { q, left } = queue(4, 10)
    q.enqueue(msg('a1'), { name: 'a', tag: 'a1' })
    q.prune(0)
    q.enqueue(msg('a2'), { name: 'a', tag: 'a2' })
    expect(left).toEqual([{ tag: 'a1', outcome: 'pruned' }])
    expect(q.depth).toBe(1)
  })
})

describe('TransmitQueue floor for an unknown cluster size', () => {
  it('transmits every broadcast retransmitMult times before any size was set', () => {
    const left: BroadcastOutcome[] = []
    const q = new TransmitQueue<string>(3, (_item, outcome) => left.push(outcome))
    expect(q.clusterSize).toBe(0)
    expect(q.retransmitLimit).toBe(3)
    q.enqueue(msg('x'), { tag: 'x' })
    const fills = [0, 1, 2, 3].map(() => {
      const out: Uint8Array[] = []
      q.fill(2, 100, out)
      return out.length
    })
    expect(fills).toEqual([1, 1, 1, 0])
    expect(left).toEqual(['transmitted'])
  })
})

describe('TransmitQueue.dropLongerThan', () => {
  it('drops exactly the broadcasts longer than the bound, from every tier, as pruned and unsendable', () => {
    const { q, left } = queue(4, 10)
    q.enqueue(msg('long-one', 40), { name: 'a', tag: 'a' })
    q.enqueue(msg('short'), { name: 'b', tag: 'b' })
    q.fill(0, 10) // only the short one fits: it moves to tier 1
    q.enqueue(msg('long-two', 50), { tag: 'c' })
    q.enqueue(msg('mid', 20), { tag: 'd' })
    expect(q.dropLongerThan(20)).toBe(2)
    expect([...q.ordered()].map((i) => i.tag)).toEqual(['d', 'b'])
    expect(left).toEqual([
      { tag: 'c', outcome: 'pruned' },
      { tag: 'a', outcome: 'pruned' },
    ])
    expect(q.counters).toMatchObject({ pruned: 2, unsendable: 2 })
    // The name of a dropped broadcast is free again: a new one is not treated as its replacement.
    q.enqueue(msg('again'), { name: 'a', tag: 'a2' })
    expect(q.counters.invalidated).toBe(0)
    expect(q.dropLongerThan(1000)).toBe(0)
  })
})

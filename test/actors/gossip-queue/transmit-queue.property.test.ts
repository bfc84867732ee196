/**
 * Property tests: TransmitQueue against a naive reference model that re-sorts the whole queue on
 * every step (the obvious reading of spec §4.10), plus the queue's invariants.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { TransmitQueue } from '../../../actors/gossip-queue/transmit-queue.ts'
import type { BroadcastOutcome } from '../../../actors/gossip-queue/protocol.ts'

interface ModelItem {
  tag: number
  len: number
  name: string | undefined
  unique: boolean
  id: number
  transmits: number
}

/** Reference: a plain array sorted on every use. */
class ModelQueue {
  items: ModelItem[] = []
  nextId = 0
  numNodes = 0
  left: Array<[number, BroadcastOutcome]> = []
  constructor(readonly mult: number) {}
  sorted(): ModelItem[] {
    return [...this.items].sort((a, b) => a.transmits - b.transmits || b.len - a.len || b.id - a.id)
  }
  enqueue(tag: number, len: number, name: string | undefined, unique: boolean): void {
    if (!unique && name !== undefined) {
      const old = this.items.find((i) => !i.unique && i.name === name)
      if (old) {
        this.items = this.items.filter((i) => i !== old)
        this.left.push([old.tag, 'invalidated'])
      }
    }
    if (this.items.length === 0) this.nextId = 0
    this.items.push({ tag, len, name: unique ? undefined : name, unique, id: this.nextId++, transmits: 0 })
  }
  /** The limit, spelled out here (not the queue's function): mult × ceil(log10(max(n, 1) + 1)). */
  limit(): number {
    return this.mult * Math.ceil(Math.log10(Math.max(1, this.numNodes) + 1))
  }
  fill(overhead: number, limit: number): number[] {
    const rl = this.limit()
    let used = 0
    const out: number[] = []
    const taken = new Set<ModelItem>()
    const maxT = Math.max(-1, ...this.items.map((i) => i.transmits))
    for (let t = 0; t <= maxT; ) {
      const free = limit - used - overhead
      if (free <= 0) break
      const pick = this.sorted().find((i) => i.transmits === t && !taken.has(i) && i.len <= free)
      if (!pick) {
        t++
        continue
      }
      taken.add(pick)
      used += overhead + pick.len
      out.push(pick.tag)
    }
    for (const i of taken) {
      if (i.transmits + 1 >= rl) {
        this.items = this.items.filter((x) => x !== i)
        this.left.push([i.tag, 'transmitted'])
      } else i.transmits++
    }
    return out
  }
  dropLongerThan(max: number): void {
    for (const i of this.sorted()) {
      if (i.len <= max) continue
      this.items = this.items.filter((x) => x !== i)
      this.left.push([i.tag, 'pruned'])
    }
  }
  prune(max: number): void {
    while (this.items.length > max) {
      const last = this.sorted().at(-1)!
      this.items = this.items.filter((x) => x !== last)
      this.left.push([last.tag, 'pruned'])
    }
  }
}

type Op =
  | { kind: 'enqueue'; len: number; name: string | undefined; unique: boolean }
  | { kind: 'fill'; overhead: number; limit: number }
  | { kind: 'prune'; max: number }
  | { kind: 'size'; n: number }
  | { kind: 'drop'; max: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), len: fc.integer({ min: 1, max: 40 }), name: fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { nil: undefined }), unique: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('fill' as const), overhead: fc.integer({ min: 0, max: 4 }), limit: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('prune' as const), max: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('size' as const), n: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), max: fc.integer({ min: 0, max: 45 }) }) },
)

function run(ops: Op[], mult: number) {
  const left: Array<[number, BroadcastOutcome]> = []
  const q = new TransmitQueue<number>(mult, (item, outcome) => left.push([item.tag, outcome]))
  const model = new ModelQueue(mult)
  q.setNumNodes(5)
  model.numNodes = 5
  let tag = 0
  const byTag = new Map<number, Uint8Array>()
  for (const op of ops) {
    if (op.kind === 'enqueue') {
      const m = new Uint8Array(op.len)
      byTag.set(tag, m)
      const opts: { name?: string; unique?: boolean; tag: number } = { tag, unique: op.unique }
      if (op.name !== undefined) opts.name = op.name
      q.enqueue(m, opts)
      model.enqueue(tag, op.len, op.name, op.unique)
      tag++
    } else if (op.kind === 'fill') {
      const out: Uint8Array[] = []
      const used = q.fill(op.overhead, op.limit, out)
      const expected = model.fill(op.overhead, op.limit)
      expect(out).toEqual(expected.map((t) => byTag.get(t)))
      // Same object identity too: the queue hands out the bytes it was given.
      out.forEach((m, i) => expect(m).toBe(byTag.get(expected[i]!)))
      expect(used).toBe(out.reduce((s, m) => s + op.overhead + m.length, 0))
      if (out.length > 0) expect(used).toBeLessThanOrEqual(op.limit)
      expect(new Set(out).size).toBe(out.length)
    } else if (op.kind === 'prune') {
      q.prune(op.max)
      model.prune(op.max)
    } else if (op.kind === 'drop') {
      q.dropLongerThan(op.max)
      model.dropLongerThan(op.max)
    } else {
      expect(q.retransmitLimit).toBe(model.limit())
      q.setNumNodes(op.n)
      model.numNodes = op.n
    }
    const order = [...q.ordered()]
    expect(order.map((i) => i.tag)).toEqual(model.sorted().map((i) => i.tag))
    expect(order.map((i) => i.transmits)).toEqual(model.sorted().map((i) => i.transmits))
    expect(q.depth).toBe(order.length)
    // Conservation: everything enqueued is queued or left under exactly one outcome.
    const c = q.counters
    expect(c.enqueued).toBe(q.depth + c.finished + c.invalidated + c.pruned)
    // At most one queued, non-unique broadcast per name.
    const names = order.filter((i) => i.name !== undefined).map((i) => i.name)
    expect(new Set(names).size).toBe(names.length)
  }
  expect(left).toEqual(model.left)
}

describe('TransmitQueue properties', () => {
  it('matches the re-sorting reference model on random operation sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.integer({ min: 1, max: 4 }), (ops, mult) => run(ops, mult)),
      { numRuns: 300 },
    )
  })

  it('hands out every unique broadcast exactly retransmitLimit times when nothing is pruned', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 4 }), (lens, n, mult) => {
        const q = new TransmitQueue<number>(mult)
        q.setNumNodes(n)
        const counts = new Map<Uint8Array, number>()
        for (const [i, len] of lens.entries()) {
          const m = new Uint8Array(len)
          counts.set(m, 0)
          q.enqueue(m, { unique: true, tag: i })
        }
        for (let round = 0; round < 10_000 && q.depth > 0; round++) {
          const out: Uint8Array[] = []
          q.fill(2, 100, out)
          for (const m of out) counts.set(m, counts.get(m)! + 1)
        }
        expect(q.depth).toBe(0)
        for (const c of counts.values()) expect(c).toBe(mult * Math.ceil(Math.log10(n + 1)))
      }),
      { numRuns: 100 },
    )
  })
})

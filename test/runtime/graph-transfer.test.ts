/**
 * The structure-sharing persist of immutable records between a worker thread and the system thread
 * (src/runtime/graph-encoder.ts, graph-decoder.ts): what each frame carries, what the system thread
 * rebuilds, ids freed, a new thread starting from nothing, a failed post rolled back.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { GraphEncoder } from '../../src/runtime/graph-encoder.ts'
import { GraphDecoder } from '../../src/runtime/graph-decoder.ts'
import { NODE_WIDTH, type GraphFrame } from '../../src/runtime/graph-frame.ts'

/** Nodes a frame carries. */
const nodesIn = (f: GraphFrame): number => f.nodes.length / NODE_WIDTH

/** One persist as the worker placement does it: encode, post (a structured clone), commit, decode. */
function pair() {
  const enc = new GraphEncoder()
  const dec = new GraphDecoder('t')
  const frames: GraphFrame[] = []
  return {
    enc,
    dec,
    frames,
    send(record: unknown): unknown {
      const frame = enc.encode(record)
      let posted: GraphFrame
      try {
        posted = structuredClone(frame)
      } catch (err) {
        enc.abort(frame)
        throw err
      }
      enc.commit(frame)
      frames.push(posted)
      return dec.decode(posted)
    },
  }
}

interface Member {
  name: string
  addr: Uint8Array
  vsn: number[]
  tags: { role: string }
}
const member = (i: number, role = 'web'): Member => ({ name: `n${i}`, addr: Uint8Array.of(10, 0, i >> 8, i & 255), vsn: [1, 5, 2], tags: { role } })

/**
 * A persistent table the way an immutable context keeps one (member-manager's CowMap, smaller): 32
 * buckets of 32 slots of entry arrays; a write copies the root, one bucket and one slot's array,
 * everything else is shared with the version before.
 */
interface Table {
  readonly size: number
  readonly root: ReadonlyArray<ReadonlyArray<ReadonlyArray<Member>>>
}
const slotOf = (i: number): [number, number] => [i % 32, Math.floor(i / 32) % 32]

function table(n: number): Table {
  const root: Member[][][] = Array.from({ length: 32 }, () => Array.from({ length: 32 }, () => []))
  for (let i = 0; i < n; i++) {
    const [a, b] = slotOf(i)
    root[a]![b]!.push(member(i))
  }
  return { size: n, root }
}

/** `t` with member `i` replaced: a new root, bucket and slot; the rest shared. */
function withMember(t: Table, i: number, m: Member): Table {
  const [a, b] = slotOf(i)
  const bucket = [...t.root[a]!]
  bucket[b] = t.root[a]![b]!.map((x) => (x.name === m.name ? m : x))
  const root = [...t.root]
  root[a] = bucket
  return { size: t.size, root }
}

const memberNamed = (t: Table, i: number): Member | undefined => {
  const [a, b] = slotOf(i)
  return t.root[a]![b]!.find((x) => x.name === `n${i}`)
}

/** A record the way the host persists an immutable context: XState's header around the context. */
const record = (members: Table, extra: Record<string, unknown> = {}) => ({ status: 'active', value: 'running', context: { members, ...extra }, children: {} })

describe('GraphEncoder / GraphDecoder', () => {
  it('rebuilds a record deep-equal to the one the inline placement keeps (typed arrays, Maps, nulls included)', () => {
    const p = pair()
    const r = record(table(200), { counts: new Map([['alive', 200]]), none: null, u: undefined, big: 2n ** 70n, when: new Date(5) })
    const got = p.send(r)
    expect(got).toEqual(r)
    expect(got).toStrictEqual(structuredClone(r))
  })

  it('sends a subtree shared inside one record once, and keeps it shared on the system side', () => {
    const p = pair()
    const shared = { role: 'web', weights: [1, 2, 3] }
    const got = p.send({ a: shared, b: shared, list: [shared, shared] }) as { a: object; b: object; list: object[] }
    // The record, the list, `shared` and its array: four nodes.
    expect(nodesIn(p.frames[0]!)).toBe(4)
    expect(got.a).toBe(got.b)
    expect(got.list[1]).toBe(got.a)
  })

  it('sends only the changed path after one write into a 10,000-member table', () => {
    const p = pair()
    const t1 = table(10_000)
    const first = p.send(record(t1)) as ReturnType<typeof record>
    const all = nodesIn(p.frames[0]!)
    // Every bucket, slot, member, vsn array and tags object went once.
    expect(all).toBeGreaterThan(30_000)
    const t2 = withMember(t1, 77, member(77, 'db'))
    const second = p.send(record(t2)) as ReturnType<typeof record>
    const nodes = nodesIn(p.frames[1]!)
    // The header, its context and children, the table, its root, one bucket, one slot, the member,
    // its vsn array and tags: ten, whatever the table's size.
    expect(nodes).toBe(10)
    expect(second).toEqual(record(t2))
    expect(memberNamed(second.context.members, 77)?.tags.role).toBe('db')
    // Everything else is the first record's objects, shared.
    const firstBuckets = first.context.members.root
    const secondBuckets = second.context.members.root
    expect(secondBuckets.filter((x, i) => x === firstBuckets[i]).length).toBe(31)
    expect(memberNamed(second.context.members, 78)).toBe(memberNamed(first.context.members, 78))
    // The same table under a new header: the header, its context and children objects, nothing else.
    p.send(record(t2))
    expect(nodesIn(p.frames[2]!)).toBe(3)
  })

  it('freezes what it sends, so an id stands for the same content at every later persist', () => {
    const p = pair()
    const r = record(table(10))
    p.send(r)
    expect(Object.isFrozen(r.context)).toBe(true)
    expect(Object.isFrozen(r.context.members.root[0]![0])).toBe(true)
    expect(() => {
      ;(r.context as { x?: number }).x = 1
    }).toThrow(TypeError)
  })

  it('rebuilds a cycle', () => {
    const p = pair()
    const a: { self?: unknown; n: number } = { n: 1 }
    a.self = { back: a }
    const got = p.send(a) as { self: { back: unknown } }
    expect(got.self.back).toBe(got)
  })

  it('a new thread (new encoder and decoder) sends everything once and rebuilds the same record', () => {
    const p = pair()
    const t = table(1000)
    p.send(record(t))
    p.send(record(t))
    // The table is already known to the first encoder: the second frame is the new header, context and children.
    expect(nodesIn(p.frames[1]!)).toBe(3)
    const q = pair()
    const again = q.send(record(t))
    expect(nodesIn(q.frames[0]!)).toBe(nodesIn(p.frames[0]!))
    expect(again).toEqual(record(t))
  })

  it('rolls back a frame that could not be posted: later frames never refer to what the system thread did not get', () => {
    const p = pair()
    const good = { keep: { a: 1 } }
    p.send(good)
    const bad = { fresh: { b: 2 }, f: () => 1, keep: good.keep }
    expect(() => p.send(bad)).toThrow()
    // The same new object goes again in full, not as a reference to the refused frame's id.
    const after = p.send({ fresh: bad.fresh, keep: good.keep }) as { fresh: { b: number }; keep: unknown }
    expect(after.fresh).toEqual({ b: 2 })
    expect(p.dec.size).toBe(4)
  })

  it('reports a frame that refers to an id it never got as ERR_PERSIST_FRAME_INVALID, keeping nothing of it', () => {
    const dec = new GraphDecoder('t')
    let err: unknown
    try {
      dec.decode({ root: 1, rootIsRef: true, nodes: [1, ['x'], [9], [0]], freed: [] })
    } catch (e) {
      err = e
    }
    expect((err as { code?: string }).code).toBe('ERR_PERSIST_FRAME_INVALID')
    expect(dec.size).toBe(0)
  })

  it('forgets ids whose objects the worker collected (FinalizationRegistry), so the system side holds only live ones', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const p = pair()
    const keep = { kept: [1, 2] }
    let temp: { gone: number[] } | undefined = { gone: [3, 4] }
    p.send({ keep, temp })
    expect(p.dec.size).toBe(5)
    temp = undefined
    p.frames.length = 0
    let freed = 0
    for (let i = 0; i < 50 && freed < 3; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 10))
      p.send({ keep })
      freed += p.frames.at(-1)!.freed.length
    }
    // The first record's header, `temp` and its array: gone (the later headers may be too).
    expect(freed).toBeGreaterThanOrEqual(3)
    const rebuiltKeep = p.send({ keep }) as { keep: { kept: number[] } }
    expect(rebuiltKeep.keep.kept).toEqual([1, 2])
    expect(p.enc.stats.live).toBe(p.dec.size)
    expect(p.dec.size).toBeLessThanOrEqual(5)
    expect(temp).toBeUndefined()
  })
})

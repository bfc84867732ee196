/**
 * gossip-queue micro benchmark: enqueue + fill on memberlist's TransmitLimitedQueue
 * (actors/gossip-queue/transmit-queue.ts), against a baseline measured in the same run: the same
 * semantics with a plain array re-sorted on every fill (the obvious implementation).
 *
 *   npx tsx bench/gossip-queue.bench.ts [--json] [--time MS] [--runs N] [--rounds N]
 *
 * Scenarios:
 * - steady-n1000: 1,000-node cluster (retransmit limit 12). Per op: enqueue 10 named alive-sized
 *   broadcasts (62 bytes, names cycling over 1,000 nodes, so newer ones replace older), then three
 *   fills of a 1,398-byte UDP budget (one gossip tick to GossipNodes = 3).
 * - deep-4096: a queue held at Serf's MaxQueueDepth (4,096 unique broadcasts of 20-200 bytes, limit
 *   40). Per op: enqueue 1, fill 1 packet, prune back to 4,096.
 * - steady-n1000 queue-set fill / lease: the same workload on the gossip-queue core (four queues,
 *   QueueSet), once through `fill` (the old packet path) and once through the piggyback lease: per
 *   op the producer builds a lease, the consumer takes it (acceptLease), picks the three packets
 *   (pickForPacket), reports (takeReport), and the producer applies the report and builds the lease
 *   that acknowledges it. Both sides of the lease run here; in the cluster they are two threads.
 * - actor-inline persisted / unpersisted: the gossip-queue actor on an inline ActorSystem. Per op:
 *   one enqueue and one fill ask, awaited (one turn each). "persisted" is the real definition
 *   (actors/gossip-queue/persist-policy.ts: the enqueue's turn persists at once, a new entry; the
 *   fill's, which only counts a transmit, at most once per throttle window); the baseline is the
 *   same machine without persist. The ratio is what persisting the context costs per op. The
 *   context is the core's state, queues included; what is persisted is its projection (sizes,
 *   counters, waiters: the broadcasts are non-enumerable, see actors/gossip-queue/core.ts), so
 *   "deep-1000" does the same with 1,000 broadcasts (62 bytes) queued: a persisted copy of the
 *   whole queues cost milliseconds per turn there, the projection costs what an empty queue does.
 * Runs through bench/support/run.ts (interleaved rounds, ops/s from the median run). Prints a table;
 * with --json, the last line of stdout is one JSON object: ops/s per scenario plus derived figures.
 */
import { TransmitQueue, retransmitLimit } from '../actors/gossip-queue/transmit-queue.ts'
import { gossipQueue } from '../actors/gossip-queue/definition.ts'
import { createGossipQueueMachine } from '../actors/gossip-queue/machine.ts'
import { ActorSystem, defineActor } from '../src/runtime/index.ts'
import { QueueSet } from '../actors/gossip-queue/queue-set.ts'
import { createGossipQueueConfig } from '../actors/gossip-queue/config.ts'
import { acceptLease, emptyLease, pickForPacket, takeReport } from '../src/broadcast/piggyback-lease.ts'
import { benchArgs, printReport, runScenarios } from './support/run.ts'
import type { Scenario } from './support/run.ts'

interface QueueLike {
  enqueue(message: Uint8Array, opts: { name?: string; unique?: boolean; tag: number }): void
  fill(overhead: number, limit: number, out?: Uint8Array[]): number
  prune(max: number): number
  setNumNodes(n: number): void
  readonly depth: number
}

/** Baseline: the same queue semantics on a plain array, re-sorted on every fill and prune. */
class ResortQueue implements QueueLike {
  private items: Array<{ message: Uint8Array; name: string | undefined; id: number; transmits: number }> = []
  private nextId = 0
  private numNodes = 0
  constructor(private readonly mult: number) {}
  get depth(): number {
    return this.items.length
  }
  setNumNodes(n: number): void {
    this.numNodes = n
  }
  enqueue(message: Uint8Array, opts: { name?: string; unique?: boolean; tag: number }): void {
    const name = opts.unique === true ? undefined : opts.name
    if (name !== undefined) {
      const i = this.items.findIndex((x) => x.name === name)
      if (i >= 0) this.items.splice(i, 1)
    }
    if (this.items.length === 0) this.nextId = 0
    this.items.push({ message, name, id: this.nextId++, transmits: 0 })
  }
  private sort(): void {
    this.items.sort((a, b) => a.transmits - b.transmits || b.message.length - a.message.length || b.id - a.id)
  }
  fill(overhead: number, limit: number, out: Uint8Array[] = []): number {
    this.sort()
    const max = retransmitLimit(this.mult, this.numNodes)
    let used = 0
    const keep: typeof this.items = []
    for (const item of this.items) {
      const free = limit - used - overhead
      if (free > 0 && item.message.length <= free) {
        used += overhead + item.message.length
        out.push(item.message)
        if (item.transmits + 1 >= max) continue
        item.transmits++
      }
      keep.push(item)
    }
    this.items = keep
    return used
  }
  prune(max: number): number {
    if (this.items.length <= max) return 0
    this.sort()
    const n = this.items.length - max
    this.items.length = max
    return n
  }
}

const { json, timeMs, runs, rounds } = benchArgs()

function seededBytes(seed: number, len: number): Uint8Array {
  const b = new Uint8Array(len)
  let s = seed >>> 0
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    b[i] = s >>> 24
  }
  return b
}

const ALIVE = Array.from({ length: 1000 }, (_, i) => seededBytes(i, 62))
const NAMES = Array.from({ length: 1000 }, (_, i) => `node-${i}`)
const MIXED = Array.from({ length: 8192 }, (_, i) => seededBytes(i, 20 + ((i * 37) % 181)))

function steady(make: () => QueueLike): () => void {
  const q = make()
  q.setNumNodes(1000)
  let k = 0
  const out: Uint8Array[] = []
  return () => {
    for (let i = 0; i < 10; i++, k++) q.enqueue(ALIVE[k % 1000]!, { name: NAMES[k % 1000]!, tag: k })
    for (let g = 0; g < 3; g++) {
      out.length = 0
      q.fill(2, 1398, out)
    }
  }
}

function deep(make: () => QueueLike): () => void {
  const q = make()
  q.setNumNodes(1_000_000_000) // limit 4 x 10 = 40: items stay for many fills
  for (let i = 0; i < 4096; i++) q.enqueue(MIXED[i]!, { unique: true, tag: i })
  let k = 4096
  const out: Uint8Array[] = []
  return () => {
    q.enqueue(MIXED[k++ % MIXED.length]!, { unique: true, tag: k })
    out.length = 0
    q.fill(2, 1398, out)
    q.prune(4096)
  }
}

/** The steady workload on the core: 10 named enqueues, then 3 packets by fill or through the lease. */
function coreSteady(path: 'fill' | 'lease'): () => void {
  const qs = new QueueSet(createGossipQueueConfig())
  qs.setClusterSize('memberlist', 1000)
  let held = emptyLease()
  let k = 0
  return () => {
    for (let i = 0; i < 10; i++, k++) qs.enqueue({ queue: 'memberlist', message: ALIVE[k % 1000]!, name: NAMES[k % 1000]! })
    if (path === 'fill') {
      for (let g = 0; g < 3; g++) qs.fill(2, 1398)
    } else {
      held = acceptLease(held, qs.lease())
      for (let g = 0; g < 3; g++) held = pickForPacket(held, 2, 1398).held
      const r = takeReport(held)
      held = r.held
      if (r.report !== undefined) qs.applySent(r.report)
      held = acceptLease(held, qs.lease())
    }
    qs.drainNotifications()
  }
}

function coreScenario(name: string, ops: number, path: 'fill' | 'lease'): Scenario {
  let op: () => void = () => {}
  return {
    name,
    ops,
    before: () => {
      op = coreSteady(path)
    },
    run: () => {
      for (let i = 0; i < ops; i++) op()
    },
  }
}

const ours = () => new TransmitQueue<number>(4)
const baseline = () => new ResortQueue(4)

/** A scenario that runs `ops` operations of `make`'s workload on a queue built before the runs. */
function scenario(name: string, ops: number, workload: (make: () => QueueLike) => () => void, make: () => QueueLike): Scenario {
  let op: () => void = () => {}
  return {
    name,
    ops,
    before: () => {
      op = workload(make)
    },
    run: () => {
      for (let i = 0; i < ops; i++) op()
    },
  }
}

/** The same actor without persisted snapshots (inline only: no worker entry). */
const unpersisted = defineActor({ name: 'gossip-queue', machine: createGossipQueueMachine, ...(gossipQueue.validate === undefined ? {} : { validate: gossipQueue.validate }) })

const spawnInline = (sys: ActorSystem, def: typeof gossipQueue) => sys.spawn(def, { id: 'gossip-queue', placement: 'inline' })

function actorScenario(name: string, ops: number, def: typeof gossipQueue, queued = 0): Scenario {
  let system: ActorSystem | undefined
  let ref: Awaited<ReturnType<typeof spawnInline>> | undefined
  let k = 0
  return {
    name,
    ops,
    before: async () => {
      system = await ActorSystem.start({ logLevel: 'silent' })
      ref = await spawnInline(system, def)
      ref.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 1000 })
      // Broadcasts that stay queued through the run (the Serf queue is not filled below; limit 16).
      for (let i = 0; i < queued; i++) ref.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-event', message: ALIVE[i % 1000]!, unique: true } })
      await ref.ask({ type: 'gossip.stats' })
    },
    run: async () => {
      const r = ref!
      for (let i = 0; i < ops; i++, k++) {
        r.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: ALIVE[k % 1000]!, name: NAMES[k % 1000]! } })
        await r.ask({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 1398, queues: ['memberlist'] })
      }
    },
    after: async () => {
      await system?.shutdown()
      system = undefined
      ref = undefined
    },
  }
}

const results = await runScenarios(
  'gossip-queue',
  [
    scenario('steady-n1000 transmit-queue', 2000, steady, ours),
    scenario('steady-n1000 resort-baseline', 100, steady, baseline),
    scenario('deep-4096 transmit-queue', 20_000, deep, ours),
    scenario('deep-4096 resort-baseline', 100, deep, baseline),
    coreScenario('steady-n1000 queue-set fill', 2000, 'fill'),
    coreScenario('steady-n1000 queue-set lease', 2000, 'lease'),
    actorScenario('actor-inline persisted', 500, gossipQueue),
    actorScenario('actor-inline unpersisted', 500, unpersisted),
    actorScenario('actor-inline persisted deep-1000', 200, gossipQueue, 1000),
    actorScenario('actor-inline unpersisted deep-1000', 200, unpersisted, 1000),
  ],
  { timeMs, runs, rounds },
)
const ops = (name: string) => results.find((r) => r.name === name)!.opsPerSec
printReport(results, {
  json,
  notes: [
    'one steady op = 10 named enqueues + 3 fills of 1,398 bytes; one deep op = 1 enqueue + 1 fill + prune to 4,096',
    'one actor op = 1 enqueue + 1 fill ask awaited, on an inline ActorSystem (two turns; the enqueue persists at once, the fill is throttled)',
    'one queue-set lease op = 10 enqueues, lease built + taken, 3 packets picked, report taken + applied, lease built + taken',
  ],
  extra: {
    steadyEnqueuesPerSec: ops('steady-n1000 transmit-queue') * 10,
    steadyFillsPerSec: ops('steady-n1000 transmit-queue') * 3,
    speedupVsBaseline: {
      steady: Number((ops('steady-n1000 transmit-queue') / ops('steady-n1000 resort-baseline')).toFixed(1)),
      deep: Number((ops('deep-4096 transmit-queue') / ops('deep-4096 resort-baseline')).toFixed(1)),
    },
    /** ops/s with persisted snapshots over without: below 1 is the cost of persisting each turn. */
    actorPersistedVsUnpersisted: Number((ops('actor-inline persisted') / ops('actor-inline unpersisted')).toFixed(2)),
    /** Extra time per op that persisting costs, in µs (from the two medians). */
    actorPersistCostUsPerTurn: Number((1e6 / ops('actor-inline persisted') - 1e6 / ops('actor-inline unpersisted')).toFixed(2)),
    /** The same with 1,000 broadcasts queued: what carrying the queues in the persisted context costs per turn, in µs. */
    actorPersistCostUsPerTurnDeep1000: Number((1e6 / ops('actor-inline persisted deep-1000') - 1e6 / ops('actor-inline unpersisted deep-1000')).toFixed(2)),
    /** One steady op (10 enqueues + 3 packets) through the lease over through fill, on the core: above 1 = the lease costs more CPU in total. */
    leaseVsFillCost: Number((ops('steady-n1000 queue-set fill') / ops('steady-n1000 queue-set lease')).toFixed(2)),
    node: process.version,
  },
})

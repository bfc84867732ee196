/**
 * member-manager benchmark: what one message and one persist cost as the member table grows.
 *
 *   npx tsx bench/member-manager.bench.ts [--json] [--time MS] [--runs N] [--rounds N] [--sizes 1000,10000,100000]
 *
 * The machine runs bare (xstate createActor on a simulated clock, sends discarded), holding N
 * members (1,000, 10,000, 100,000 by default), so what is timed is the machine and its core only.
 * Scenarios, for each N:
 * - message-nN: one `member.node-updated` (a member's tags change: one member-update event) per op,
 *   each its own turn, members taken round-robin over the table.
 * - batch-nN: one `member.nodes-changed` of 512 updates (swim's largest batch); ops = changes.
 * - persist-nN: what the runtime does at a persist (src/runtime/host-persistence.ts
 *   `persistedSnapshotOf`, with member-manager's own `persist.immutable`): the record kept by
 *   reference when immutable, else `getPersistedSnapshot()` and a detached copy. One op per persist.
 *   Not included: the worker placement's post of the record to the system thread, timed apart:
 * - post-nN: the whole record posted (the worker placement before structure sharing, and any
 *   record that is not immutable): v8.serialize in the actor's thread, v8.deserialize in the system
 *   thread (postMessage's own serializer, minus the port).
 * - graph-nN: the worker placement's post of an immutable record (src/runtime/graph-encoder.ts and
 *   graph-decoder.ts): after one member update, the encoder's frame (only the objects not sent
 *   before) serialized in the actor's thread, parsed and rebuilt in the system thread. The update
 *   message is in the run's time (message-nN measures it), not in the per-thread figures. The first
 *   frame of a thread (everything once) is timed once, in `graphFirst*`.
 * Prints a table; with --json the last line of stdout is one JSON object (ops/s per scenario, plus
 * `usPerMessage_nN`, `usPerBatchedChange_nN`, `msPerPersist_nN`, `msPerWorkerPost_nN` (whole
 * record, both threads), `msPostActorThread_nN` / `msPostSystemThread_nN` (whole record, each
 * thread), `msGraphActorThread_nN` / `msGraphSystemThread_nN` (structure sharing, each thread,
 * median per persist) and `msGraphFirstActorThread_nN` / `msGraphFirstSystemThread_nN`).
 */
import { deserialize, serialize } from 'node:v8'
import { createActor } from 'xstate'
import { createMemberManagerMachine } from '../actors/member-manager/machine.ts'
import type { NodeChange, NodeInfo } from '../actors/member-manager/protocol.ts'
import { encodeTags } from '../actors/member-manager/tags.ts'
import { MAX_NODE_CHANGES } from '../actors/member-manager/protocol.ts'
import { persistedSnapshotOf } from '../src/runtime/host-persistence.ts'
import { memberManager } from '../actors/member-manager/definition.ts'
import { SimulatedClock } from '../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../src/types/random.ts'
import type { ActorEnv } from '../src/types/actor-env.ts'
import type { ActorId } from '../src/types/ids.ts'
import { GraphEncoder } from '../src/runtime/graph-encoder.ts'
import { GraphDecoder } from '../src/runtime/graph-decoder.ts'
import { benchArgs, printReport, runScenarios } from './support/run.ts'
import type { Scenario } from './support/run.ts'

const argv = process.argv.slice(2)
const sizesArg = argv.indexOf('--sizes') >= 0 ? argv[argv.indexOf('--sizes') + 1] : undefined
const SIZES = (sizesArg ?? '1000,10000,100000').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0)
const MESSAGES_PER_RUN = 200

/** An env whose sends go nowhere (always taken), on a simulated clock. */
function benchEnv(): { env: ActorEnv; clock: SimulatedClock } {
  const clock = new SimulatedClock()
  const noop = () => {}
  const env: ActorEnv = {
    id: 'member-manager' as ActorId,
    node: 'bench',
    clock,
    random: createSeededRandom(1),
    log: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, isLevelEnabled: () => false },
    compute: { run: () => Promise.reject(new Error('no compute pool in the bench')) },
    send: () => 'ok',
    ask: () => Promise.reject(new Error('no asks in the bench')),
    whenReady: () => Promise.resolve(),
    reply: noop,
    fail: noop,
  }
  return { env, clock }
}

const metaA = encodeTags({ role: 'web', dc: 'a' }, 5)
const metaB = encodeTags({ role: 'web', dc: 'b' }, 5)

function nodeInfo(i: number, meta: Uint8Array): NodeInfo {
  return { name: `node-${i}`, addr: Uint8Array.of(10, (i >> 16) & 255, (i >> 8) & 255, i & 255), port: 7946, meta, vsn: [1, 5, 2, 2, 5, 5], incarnation: 1, state: 'alive' }
}

/** A member-manager actor holding `n` alive members (joined in swim-sized batches). */
function loaded(n: number) {
  const { env } = benchEnv()
  const actor = createActor(createMemberManagerMachine(env), { clock: env.clock as SimulatedClock, input: { config: { nodeName: 'node-0' } } }).start()
  let seq = 0
  for (let from = 0; from < n; from += MAX_NODE_CHANGES) {
    const changes: NodeChange[] = []
    for (let i = from; i < Math.min(n, from + MAX_NODE_CHANGES); i++) changes.push({ kind: 'joined', node: nodeInfo(i, metaA) })
    actor.send({ type: 'member.nodes-changed', seq: ++seq, changes })
  }
  let cursor = 0
  let flip = false
  return {
    actor,
    /** One update message (its own turn). */
    message(): void {
      cursor = (cursor + 7919) % n
      flip = !flip
      actor.send({ type: 'member.node-updated', node: nodeInfo(cursor, flip ? metaB : metaA), seq: ++seq })
    },
    /** One batch of MAX_NODE_CHANGES updates. */
    batch(): void {
      flip = !flip
      const changes: NodeChange[] = []
      for (let k = 0; k < MAX_NODE_CHANGES; k++) {
        cursor = (cursor + 7919) % n
        changes.push({ kind: 'updated', node: nodeInfo(cursor, flip ? metaB : metaA) })
      }
      actor.send({ type: 'member.nodes-changed', seq: ++seq, changes })
    },
    persist(): unknown {
      return persistedSnapshotOf('member-manager', actor as never, memberManager.persist?.immutable === true, false)
    },
  }
}

/** Per-persist times of each thread, ms (medians reported). */
interface ThreadTimes {
  actor: number[]
  system: number[]
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!
}

/** The whole record posted: serialized in the actor's thread, parsed in the system thread. */
function postWhole(x: ReturnType<typeof loaded>, times: ThreadTimes): void {
  const record = x.persist()
  const t0 = performance.now()
  const bytes = serialize(record)
  const t1 = performance.now()
  deserialize(bytes)
  times.actor.push(t1 - t0)
  times.system.push(performance.now() - t1)
}

/** One thread's encoder and the system thread's decoder for it. */
function graphPair() {
  const enc = new GraphEncoder()
  const dec = new GraphDecoder('member-manager')
  return {
    /** One persist: encode + serialize + commit (actor thread), parse + rebuild (system thread). */
    post(record: unknown, times: ThreadTimes): void {
      const t0 = performance.now()
      const frame = enc.encode(record)
      const bytes = serialize({ k: 38, frame, at: 0 })
      enc.commit(frame)
      const t1 = performance.now()
      dec.decode((deserialize(bytes) as { frame: typeof frame }).frame)
      times.actor.push(t1 - t0)
      times.system.push(performance.now() - t1)
    },
  }
}

const { json, timeMs, runs, rounds } = benchArgs()
const scenarios: Scenario[] = []
const actors: Array<ReturnType<typeof loaded>> = []
const postTimes = new Map<number, ThreadTimes>()
const graphTimes = new Map<number, ThreadTimes>()
const graphFirst = new Map<number, ThreadTimes>()
for (const n of SIZES) {
  let a: ReturnType<typeof loaded> | undefined
  const get = () => (a ??= loaded(n))
  scenarios.push({
    name: `message-n${n}`,
    ops: MESSAGES_PER_RUN,
    before: () => void actors.push(get()),
    run: () => {
      const x = get()
      for (let i = 0; i < MESSAGES_PER_RUN; i++) x.message()
    },
  })
  scenarios.push({ name: `batch-n${n}`, ops: MAX_NODE_CHANGES, run: () => get().batch() })
  scenarios.push({ name: `persist-n${n}`, ops: 1, run: () => get().persist() })
  const post: ThreadTimes = { actor: [], system: [] }
  postTimes.set(n, post)
  scenarios.push({ name: `post-n${n}`, ops: 1, run: () => postWhole(get(), post) })
  const graph: ThreadTimes = { actor: [], system: [] }
  const first: ThreadTimes = { actor: [], system: [] }
  graphTimes.set(n, graph)
  graphFirst.set(n, first)
  let pair: ReturnType<typeof graphPair> | undefined
  scenarios.push({
    name: `graph-n${n}`,
    ops: 1,
    before: () => {
      // A thread's first persist sends everything once (a new thread, or the first round).
      if (pair !== undefined) return
      pair = graphPair()
      pair.post(get().persist(), first)
    },
    run: () => {
      const x = get()
      x.message()
      pair!.post(x.persist(), graph)
    },
  })
}
const results = await runScenarios('member-manager', scenarios, { timeMs, runs, rounds })
const extra: Record<string, number> = {}
for (const r of results) {
  const [kind, size] = r.name.split('-n') as [string, string]
  const perOpMs = r.medianMs / (kind === 'message' ? MESSAGES_PER_RUN : kind === 'batch' ? MAX_NODE_CHANGES : 1)
  if (kind === 'message') extra[`usPerMessage_n${size}`] = Number((perOpMs * 1000).toFixed(2))
  else if (kind === 'batch') extra[`usPerBatchedChange_n${size}`] = Number((perOpMs * 1000).toFixed(2))
  // Four decimals: a persist kept by reference costs microseconds.
  else if (kind === 'persist') extra[`msPerPersist_n${size}`] = Number(perOpMs.toFixed(4))
}
const ms = (v: number): number => Number(v.toFixed(4))
for (const n of SIZES) {
  const post = postTimes.get(n)!
  const graph = graphTimes.get(n)!
  const first = graphFirst.get(n)!
  extra[`msPerWorkerPost_n${n}`] = ms(median(post.actor) + median(post.system))
  extra[`msPostActorThread_n${n}`] = ms(median(post.actor))
  extra[`msPostSystemThread_n${n}`] = ms(median(post.system))
  extra[`msGraphActorThread_n${n}`] = ms(median(graph.actor))
  extra[`msGraphSystemThread_n${n}`] = ms(median(graph.system))
  extra[`msGraphFirstActorThread_n${n}`] = ms(first.actor[0]!)
  extra[`msGraphFirstSystemThread_n${n}`] = ms(first.system[0]!)
}
for (const x of actors) x.actor.stop()
printReport(results, { json, extra, notes: [`members: ${SIZES.join(', ')}; per message/change in µs, per persist in ms: ${JSON.stringify(extra)}`] })

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
 *   Not included: the worker placement's post of the record to the system thread (a structured
 *   clone), timed separately as post-nN (serialize + parse, what the two threads pay between them).
 * Prints a table; with --json the last line of stdout is one JSON object (ops/s per scenario, plus
 * `usPerMessage_nN`, `usPerBatchedChange_nN`, `msPerPersist_nN` and `msPerWorkerPost_nN`).
 */
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
    /** The worker placement's post of a record to the system thread: one structured clone. */
    post(): unknown {
      return structuredClone(persistedSnapshotOf('member-manager', actor as never, memberManager.persist?.immutable === true, false))
    },
  }
}

const { json, timeMs, runs, rounds } = benchArgs()
const scenarios: Scenario[] = []
const actors: Array<ReturnType<typeof loaded>> = []
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
  scenarios.push({ name: `post-n${n}`, ops: 1, run: () => get().post() })
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
  else extra[`msPerWorkerPost_n${size}`] = Number(perOpMs.toFixed(2))
}
for (const x of actors) x.actor.stop()
printReport(results, { json, extra, notes: [`members: ${SIZES.join(', ')}; per message/change in µs, per persist in ms: ${JSON.stringify(extra)}`] })

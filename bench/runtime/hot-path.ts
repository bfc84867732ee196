/**
 * The runtime's own work on one ask round trip, each thread's half on its own, with no thread
 * between them: the system thread's half (a reply arrives, the await resumes, the next ask is
 * posted) and the actor thread's half (a request arrives, the machine runs, the reply is posted),
 * each against a port that only records what is posted. Cross-thread round trips on a shared
 * machine swing with the scheduler (10-60 µs for the same bare echo); these halves do not, so a
 * change to the hot path shows here first. The figures are CPU time of one thread per op:
 *
 *   npx tsx bench/runtime/hot-path.ts [--json]
 *
 * - mainHalfUs: ActorRef.ask on the system thread, from the reply's arrival to the next request's
 *   postMessage (ask table, routing, the link's flush, the credit);
 * - actorHalfUs: the actor's thread, from the request's arrival to the reply's postMessage (the
 *   link, the router, the host, the sink machine, env.reply);
 * - machineUs: the same sink machine fed the same request in this thread (what the actor's half
 *   would be with a free runtime);
 * - posts per round trip (each side) and the bytes V8 serializes for them;
 * - burstPerMessageUs / burstMachineUs: one tell of a 256-message batch as the actor's link
 *   receives it (no deserialization: the batch is already objects), against the machine fed the
 *   same tells in a loop.
 */
import { serialize } from 'node:v8'
import { createActor } from 'xstate'
import pino from 'pino'
import { SystemCore, type Entry } from '../../src/runtime/system-core.ts'
import { makeRef } from '../../src/runtime/system-refs.ts'
import { WorkerProxy, type WorkerProxyPort } from '../../src/runtime/worker-proxy.ts'
import { EventHub } from '../../src/runtime/event-hub.ts'
import { WorkerRouter } from '../../src/runtime/worker-router.ts'
import { WorkerReports } from '../../src/runtime/worker-reports.ts'
import { ActorHost } from '../../src/runtime/actor-host.ts'
import { createEnv, realClock } from '../../src/runtime/env.ts'
import { F_ACK, F_REPLY } from '../../src/runtime/frames.ts'
import { createSupervisionOptions } from '../../src/runtime/options.ts'
import { createSeededRandom } from '../../src/types/random.ts'
import type { MessagePort } from 'node:worker_threads'
import { ALIVE } from '../fixtures/payload.ts'
import { createSinkMachine } from '../fixtures/actors/sink/machine.ts'
import { sink as sinkDef } from '../fixtures/actors/sink/definition.ts'

const json = process.argv.includes('--json')
const ROUNDS = 7
const N = 50_000
const ECHO = { ...ALIVE, type: 'sink.echo' as const }
const resolved = Promise.resolve()

/** A port that records what is posted and lets the bench deliver to the listener. */
class FakePort {
  listener: ((data: unknown) => void) | undefined
  posted = 0
  bytes = 0
  last: unknown
  measure = false
  on(_: string, fn: (data: unknown) => void): this {
    this.listener = fn
    return this
  }
  off(): this {
    this.listener = undefined
    return this
  }
  close(): void {}
  postMessage(m: unknown): void {
    this.posted++
    this.last = m
    if (this.measure) this.bytes += serialize(m).length
  }
}

function cpuUs(f: () => Promise<void>): Promise<number> {
  const c0 = process.cpuUsage()
  return f().then(() => {
    const c = process.cpuUsage(c0)
    return c.user + c.system
  })
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** The system thread's half: a ref to a "worker" whose port answers every request at once. */
async function mainHalf(): Promise<{ us: number; posts: number; bytes: number }> {
  const core = new SystemCore({ logLevel: 'warn' })
  const port = new FakePort()
  const sys = { asks: core.asks, mainPolicy: core.mailbox, overflowReported: () => {}, displaced: () => {}, unsendable: () => {}, replyToInline: () => {} } as unknown as WorkerProxyPort
  const events = new EventHub('sink', core.log, () => {})
  const proxy = new WorkerProxy(sys, 'sink', sinkDef as never, undefined, core.mailbox, core.supervision, core.workerLimits, events)
  proxy.status = 'running'
  proxy.link.attach(port as unknown as MessagePort)
  const entry = { id: 'sink', placement: 'worker', mailbox: core.mailbox, inline: undefined, worker: proxy, reported: { dropped: 0, rejected: 0 }, unannounced: new Map(), events, asks: undefined } as unknown as Entry
  core.actors.set('sink', entry)
  const ref = makeRef(core, entry, async () => {})
  // The "actor": each request is answered by a reply frame carrying its credit, after a microtask.
  const answer = (): void => {
    const m = port.last as { replyTo?: { cid: number }; d?: { replyTo: { cid: number } } }
    const cid = (m.replyTo ?? m.d!.replyTo).cid
    void resolved.then(() => proxy.link.receive({ k: F_REPLY, c: cid, v: 1, a: 1 }))
  }
  const post = port.postMessage.bind(port)
  port.postMessage = (m: unknown) => {
    post(m)
    if ((m as { k?: unknown }).k !== F_ACK) answer()
  }
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await ref.ask(ECHO as never)
      // Each real round trip is its own event-loop turn: let the turn budget's check phase run.
      if ((i & 255) === 255) await new Promise((r) => setImmediate(r))
    }
  }
  await run(N)
  const us: number[] = []
  for (let r = 0; r < ROUNDS; r++) us.push((await cpuUs(() => run(N))) / N)
  port.posted = 0
  port.measure = true
  await run(1000)
  core.asks.disarm()
  await core.compute.destroy()
  return { us: median(us), posts: port.posted / 1000, bytes: port.bytes / 1000 }
}

/** The actor's thread as the link hands it messages: the router, the host and the sink machine. */
function actorThread(port: FakePort) {
  const policy = { capacity: 2048, overflow: 'backpressure' as const, backpressureCeiling: 4 }
  let host: ActorHost | undefined
  const reports = new WorkerReports(
    () => {},
    () => host?.endTurn(),
  )
  const router = new WorkerRouter({
    id: 'sink',
    receiveWindow: 2048,
    mainPort: port as unknown as MessagePort,
    mainPolicy: policy,
    peers: [],
    inline: [],
    gone: [],
    reports,
    post: () => {},
    compute: {} as never,
    deliver: (m) => host?.delivery.deliver(m),
    offer: (m) => host?.delivery.offer(m),
    hosting: () => host !== undefined,
    settle: () => {},
    runtimeItem: () => {},
    batchEnd: () => host?.checkpoint(),
    targetGone: () => {},
  })
  const env = createEnv({ id: 'sink', node: 'bench', clock: realClock, random: createSeededRandom(1), log: pino({ level: 'silent' }), router, epoch: 0 })
  host = new ActorHost({
    definition: sinkDef as never,
    env,
    implementations: {},
    input: undefined,
    supervision: createSupervisionOptions(),
    requestTurn: () => reports.requestTurn(),
    events: { crashed: () => {}, restarted: () => {}, escalated: () => {}, invalid: () => {} },
  })
  return router
}

/** The actor thread's half: the router, the host and the sink machine, fed requests by hand. */
async function actorHalf(): Promise<{ us: number; posts: number; bytes: number }> {
  const port = new FakePort()
  const router = actorThread(port)
  let cid = 0
  // Each request as the link would receive it: what the system thread's link posts for an ask.
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      router.main.receive(Object.assign({}, ECHO, { replyTo: { to: '$main', cid: ++cid } }))
      await resolved
      // The system thread's credit for the reply (it rides on its next request or comes on its own).
      if ((i & 63) === 63) router.main.receive({ k: F_ACK, n: 64 })
      if ((i & 255) === 255) await new Promise((r) => setImmediate(r))
    }
  }
  await run(N)
  const us: number[] = []
  for (let r = 0; r < ROUNDS; r++) us.push((await cpuUs(() => run(N))) / N)
  port.posted = 0
  port.measure = true
  await run(1000)
  router.close()
  return { us: median(us), posts: port.posted / 1000, bytes: port.bytes / 1000 }
}

/** A burst on the actor's thread: batches of 256 tells as the link receives them (per message). */
async function actorBurst(): Promise<{ us: number; posts: number; bytes: number }> {
  const router = actorThread(new FakePort())
  const batch = Array.from({ length: 256 }, () => ({ ...ALIVE }))
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += 256) {
      router.main.receive(batch)
      if ((i & 4095) === 0) await new Promise((r) => setImmediate(r))
    }
  }
  await run(N * 4)
  const us: number[] = []
  for (let r = 0; r < ROUNDS; r++) us.push((await cpuUs(() => run(N * 4))) / (N * 4))
  router.close()
  return { us: median(us), posts: 0, bytes: 0 }
}

/** The same tells fed to the sink machine in a loop (what actorBurst would cost with a free runtime). */
async function machineBurst(): Promise<number> {
  const actor = createActor(createSinkMachine({ reply: () => {} })).start()
  const batch = Array.from({ length: 256 }, () => ({ ...ALIVE }))
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += 256) {
      for (let j = 0; j < 256; j++) actor.send(batch[j] as never)
      if ((i & 4095) === 0) await new Promise((r) => setImmediate(r))
    }
  }
  await run(N * 4)
  const us: number[] = []
  for (let r = 0; r < ROUNDS; r++) us.push((await cpuUs(() => run(N * 4))) / (N * 4))
  return median(us)
}

async function machineOnly(): Promise<number> {
  const actor = createActor(createSinkMachine({ reply: () => {} })).start()
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      actor.send(Object.assign({}, ECHO, { replyTo: { to: '$main', cid: i } }) as never)
      await resolved
      if ((i & 255) === 255) await new Promise((r) => setImmediate(r))
    }
  }
  await run(N)
  const us: number[] = []
  for (let r = 0; r < ROUNDS; r++) us.push((await cpuUs(() => run(N))) / N)
  return median(us)
}

/**
 * Each part runs in a process of its own (this script with `--part`): in one process the three
 * would share XState's inline caches, and the machine's cost would depend on what ran before it.
 */
const partAt = process.argv.indexOf('--part')
const part = partAt >= 0 ? process.argv[partAt + 1] : undefined
if (part !== undefined) {
  const r =
    part === 'main'
      ? await mainHalf()
      : part === 'actor'
        ? await actorHalf()
        : part === 'actor-burst'
          ? await actorBurst()
          : part === 'machine-burst'
            ? { us: await machineBurst(), posts: 0, bytes: 0 }
            : { us: await machineOnly(), posts: 0, bytes: 0 }
  console.log(JSON.stringify(r))
} else {
  const { execFileSync } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const runPart = (name: string): { us: number; posts: number; bytes: number } => {
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--part', name], { encoding: 'utf8' })
    return JSON.parse(out.trim().split('\n').pop()!) as { us: number; posts: number; bytes: number }
  }
  const main = runPart('main')
  const actor = runPart('actor')
  const machine = runPart('machine')
  const burst = runPart('actor-burst')
  const burstMachine = runPart('machine-burst')
  const out = {
    mainHalfUs: Number(main.us.toFixed(3)),
    actorHalfUs: Number(actor.us.toFixed(3)),
    machineUs: Number(machine.us.toFixed(3)),
    actorOverheadUs: Number((actor.us - machine.us).toFixed(3)),
    burstPerMessageUs: Number(burst.us.toFixed(3)),
    burstMachineUs: Number(burstMachine.us.toFixed(3)),
    mainPostsPerAsk: main.posts,
    actorPostsPerAsk: actor.posts,
    mainBytesPerAsk: main.bytes,
    actorBytesPerAsk: actor.bytes,
  }
  console.table([
    { half: 'system thread (ask, reply arrives)', 'CPU µs/op': out.mainHalfUs, 'posts/op': out.mainPostsPerAsk, 'bytes/op': out.mainBytesPerAsk },
    { half: 'actor thread (request arrives, reply)', 'CPU µs/op': out.actorHalfUs, 'posts/op': out.actorPostsPerAsk, 'bytes/op': out.actorBytesPerAsk },
    { half: 'the sink machine alone', 'CPU µs/op': out.machineUs, 'posts/op': 0, 'bytes/op': 0 },
    { half: 'burst: a tell of a 256-batch on the actor thread', 'CPU µs/op': out.burstPerMessageUs, 'posts/op': 0, 'bytes/op': 0 },
    { half: 'burst: the same tell to the machine alone', 'CPU µs/op': out.burstMachineUs, 'posts/op': 0, 'bytes/op': 0 },
  ])
  console.log(`the runtime's own CPU per ask round trip: ${(out.mainHalfUs + out.actorOverheadUs).toFixed(3)} µs (system thread ${out.mainHalfUs}, actor thread ${out.actorOverheadUs} over its machine's ${out.machineUs})`)
  if (json) console.log(JSON.stringify(out))
}

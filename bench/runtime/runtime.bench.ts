/**
 * Runtime benchmark: the cost of the actor runtime against the physical limits and hand-written
 * code, measured in the same run with the same payload and the same receiving machine.
 *
 *   npm run bench:runtime [-- --json] [-- --time 700] [-- --runs 5] [-- --rounds 3] [-- --neighbour]
 *                         [-- --ping-samples 2000] [-- --ping-only]
 *
 * - rawOneWayPerSec: a bare MessagePort into a worker that only counts (the port's limit);
 * - inlineMachinePerSec: the sink machine fed in this thread (the machine's limit);
 * - baselineOneWayPerSec: a bare MessagePort delivering each message into the sink machine in a worker;
 * - actorOneWayPerSec: a worker actor (driver) sending to a worker actor (sink) through the runtime;
 * - actorOneWayInspectedPerSec: the same, with the live page's server on the system and one
 *   Server-Sent Events client connected and reading (inspection on in every actor; inspected.ts);
 * - actorBurstPerSec: a burst of ref.send from the system thread into the worker sink (the runtime
 *   batches on the port; each message is still its own machine event);
 * - rawRoundTripPerSec: the payload echoed over a bare port; actorRoundTripPerSec: the same payload
 *   asked of the sink (`sink.echo`), whose machine replies with it.
 * - machineRoundTripPerSec (context): the same request, with its correlation token, over a bare
 *   port into the same sink machine in a worker, its action posting the reply back. The raw echo
 *   runs no machine at all, so actorRoundTripVsRaw counts the machine's own transition (about
 *   1.4 µs of a 10 µs round trip here, `bench/runtime/hot-path.ts`) as runtime cost;
 *   actorRoundTripVsMachineRoundTrip is the runtime's share alone, as actorOneWayVsBaseline is
 *   for one-way traffic, and machineRoundTripVsRaw the ceiling of actorRoundTripVsRaw (a runtime
 *   that cost nothing would reach it, no more).
 * - workerInlineMachinePerSec (context only): the sink machine fed by a loop inside a worker thread.
 * - pingToAckP50Us / pingToAckP99Us: a memberlist ping on loopback to a node of real swim,
 *   gossip-queue and member-manager actors in worker threads, with broadcasts pending, timed until
 *   the ack (a compound that piggybacks them) arrives (ping-to-ack.ts). `--ping-only` runs just it.
 *   Two churns: a broadcast enqueued right before each ping (pingToAck*), and broadcasts pending
 *   but topped up only every 50 pings (pingToAckSteady*).
 * `--neighbour` runs a CPU-bound co-process (neighbour.ts) for the whole run: the figures with the
 * other core busy, as when the machine is shared.
 * `loadAvg` (JSON; a note line in the table): the machine's 1-minute load average at the start and
 * the end of the run. An "idle" run whose load was well above 1 (other processes on a 2-core
 * machine) measured the scheduler as much as the runtime: say so next to its figures.
 * Senders honour backpressure (await ready() when send says so); the bare-port baselines have none.
 * The machine is shared with other work: compare ratios within one run.
 */
import { loadavg } from 'node:os'
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { createActor } from 'xstate'
import { ActorSystem, type ActorRef } from '../../src/runtime/index.ts'
import { resolveEntry } from '../../src/runtime/entry.ts'
import { benchArgs, printReport, runScenarios, type Scenario } from '../support/run.ts'
import { ALIVE } from '../fixtures/payload.ts'
import { createSinkMachine } from '../fixtures/actors/sink/machine.ts'
import { DEFAULT_PING_TO_ACK, measurePingToAck } from './ping-to-ack.ts'
import { startNeighbour } from './neighbour.ts'
import { sink as sinkDef } from '../fixtures/actors/sink/definition.ts'
import { driver as driverDef } from '../fixtures/actors/driver/definition.ts'
import { connectPage, type ConnectedPage } from './inspected.ts'

const args = { ...benchArgs(), ...(process.argv.includes('--time') ? {} : { timeMs: 700 }) }
const argv = process.argv.slice(2)
const withNeighbour = argv.includes('--neighbour')
const pingOnly = argv.includes('--ping-only')
const pingSamplesAt = argv.indexOf('--ping-samples')
const pingSamples = pingSamplesAt >= 0 && Number(argv[pingSamplesAt + 1]) > 0 ? Math.floor(Number(argv[pingSamplesAt + 1])) : DEFAULT_PING_TO_ACK.samples
const ONE_WAY = 100_000
const ROUND_TRIPS = 10_000
/** The round trips' request: the gossip payload as a `sink.echo` ask (the raw echo sends ALIVE). */
const ECHO = { ...ALIVE, type: 'sink.echo' as const }
/** What the page's server saw in each round of actorOneWayInspectedPerSec (proof the page was watching). */
const inspectedSeen: Array<{ observed: number; coalesced: number; bytesRead: number }> = []

/** A bare-port worker of bench/fixtures/raw-worker.ts. */
function rawWorker(mode: 'count' | 'machine' | 'echo' | 'machine-echo'): { port: MessagePort; next: () => Promise<unknown>; stop: () => Promise<void> } {
  const { port1, port2 } = new MessageChannel()
  const entry = resolveEntry(new URL('../fixtures/raw-worker.ts', import.meta.url))
  const worker = new Worker(entry.file, { workerData: { __entry: entry.tsEntry, port: port2, mode }, transferList: [port2] })
  let waiting: ((m: unknown) => void) | undefined
  port1.on('message', (m) => {
    const w = waiting
    waiting = undefined
    w?.(m)
  })
  return {
    port: port1,
    next: () => new Promise((resolve) => (waiting = resolve)),
    stop: async () => {
      port1.close()
      await worker.terminate()
    },
  }
}

function portOneWay(name: string, mode: 'count' | 'machine'): Scenario {
  let w: ReturnType<typeof rawWorker>
  return {
    name,
    ops: ONE_WAY,
    before: async () => {
      w = rawWorker(mode)
      w.port.postMessage({ cmd: 'target', n: 1 })
      await w.next()
      w.port.postMessage(ALIVE)
      await w.next()
    },
    run: async () => {
      w.port.postMessage({ cmd: 'target', n: ONE_WAY })
      await w.next()
      const done = w.next()
      for (let i = 0; i < ONE_WAY; i++) w.port.postMessage(ALIVE)
      await done
    },
    after: () => w.stop(),
  }
}

const inlineMachine: Scenario = (() => {
  const actor = createActor(createSinkMachine({ reply: () => {} }))
  return {
    name: 'inlineMachinePerSec',
    ops: ONE_WAY,
    before: () => void actor.start(),
    run: () => {
      for (let i = 0; i < ONE_WAY; i++) actor.send(ALIVE)
    },
    after: () => void actor.stop(),
  }
})()

/** Informational: the same machine fed by a loop inside a worker thread (no ports). */
const workerInlineMachine: Scenario = (() => {
  let w: ReturnType<typeof rawWorker>
  return {
    name: 'workerInlineMachinePerSec',
    ops: ONE_WAY,
    before: () => void (w = rawWorker('machine')),
    run: async () => {
      const done = w.next()
      w.port.postMessage({ cmd: 'self', n: ONE_WAY })
      await done
    },
    after: () => w.stop(),
  }
})()

const rawRoundTrip: Scenario = (() => {
  let w: ReturnType<typeof rawWorker>
  return {
    name: 'rawRoundTripPerSec',
    ops: ROUND_TRIPS,
    before: () => void (w = rawWorker('echo')),
    run: async () => {
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const reply = w.next()
        w.port.postMessage(ALIVE)
        await reply
      }
    },
    after: () => w.stop(),
  }
})()

/** Context: the ask's request answered by the sink machine behind a bare port (no runtime). */
const machineRoundTrip: Scenario = (() => {
  let w: ReturnType<typeof rawWorker>
  let cid = 0
  return {
    name: 'machineRoundTripPerSec',
    ops: ROUND_TRIPS,
    before: () => void (w = rawWorker('machine-echo')),
    run: async () => {
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const reply = w.next()
        w.port.postMessage(Object.assign({}, ECHO, { replyTo: { to: '$main', cid: ++cid } }))
        await reply
      }
    },
    after: () => w.stop(),
  }
})()

/** Scenarios through the runtime share one system: a driver and a sink, each in its own worker. */
function runtimeScenarios(): Scenario[] {
  let system: ActorSystem
  let sinkRef: ActorRef<ReturnType<typeof createSinkMachine>>
  let driverRef: Awaited<ReturnType<typeof spawnDriver>>
  let handled = 0
  const spawnDriver = (sys: ActorSystem) => sys.spawn(driverDef, { id: 'driver' })
  const setUp = async (): Promise<void> => {
    system = await ActorSystem.start({ logLevel: 'warn' })
    sinkRef = await system.spawn(sinkDef, { id: 'sink' })
    driverRef = await spawnDriver(system)
    handled = 0
    await sinkRef.ask({ type: 'sink.ping' })
  }
  const tearDown = async (): Promise<void> => {
    await system.shutdown()
  }
  return [
    {
      name: 'actorOneWayPerSec',
      ops: ONE_WAY,
      before: setUp,
      run: async () => {
        handled += ONE_WAY
        const done = sinkRef.ask({ type: 'sink.await', count: handled }, { timeoutMs: 60_000 })
        driverRef.send({ type: 'driver.blast', to: sinkRef.id, n: ONE_WAY })
        await done
      },
    },
    (() => {
      let page: ConnectedPage | undefined
      return {
        name: 'actorOneWayInspectedPerSec',
        ops: ONE_WAY,
        before: async () => {
          page = await connectPage(system)
        },
        run: async () => {
          handled += ONE_WAY
          const done = sinkRef.ask({ type: 'sink.await', count: handled }, { timeoutMs: 60_000 })
          driverRef.send({ type: 'driver.blast', to: sinkRef.id, n: ONE_WAY })
          await done
        },
        after: async () => {
          const stats = page!.server.stats()
          inspectedSeen.push({ observed: stats.observed, coalesced: stats.coalesced, bytesRead: page!.bytes })
          await page!.stop()
        },
      }
    })(),
    {
      name: 'actorBurstPerSec',
      ops: ONE_WAY,
      run: async () => {
        handled += ONE_WAY
        const done = sinkRef.ask({ type: 'sink.await', count: handled }, { timeoutMs: 60_000 })
        for (let i = 0; i < ONE_WAY; i++) if (sinkRef.send(ALIVE) === 'backpressure') await sinkRef.ready()
        await done
      },
    },
    {
      name: 'actorRoundTripPerSec',
      ops: ROUND_TRIPS,
      run: async () => {
        for (let i = 0; i < ROUND_TRIPS; i++) await sinkRef.ask(ECHO)
      },
      after: tearDown,
    },
  ]
}

/** 1-minute load average when the run started (read before the neighbour starts). */
const loadAtStart = Number(loadavg()[0]!.toFixed(2))
const neighbour = withNeighbour ? await startNeighbour() : undefined
try {
  await main()
} finally {
  neighbour?.stop()
}

async function main(): Promise<void> {
  const results = pingOnly
    ? []
    : await runScenarios(
        'runtime',
        [portOneWay('rawOneWayPerSec', 'count'), inlineMachine, workerInlineMachine, portOneWay('baselineOneWayPerSec', 'machine'), ...runtimeScenarios(), rawRoundTrip, machineRoundTrip],
        { timeMs: args.timeMs, runs: args.runs, rounds: args.rounds },
      )
  const perPing = await measurePingToAck({ ...DEFAULT_PING_TO_ACK, samples: pingSamples })
  const steady = await measurePingToAck({ ...DEFAULT_PING_TO_ACK, samples: pingSamples, churn: 'steady' })
  const row = (scenario: string, p: typeof perPing) => ({ scenario, p50: p.pingToAckP50Us, p90: p.pingToAckP90Us, p99: p.pingToAckP99Us, max: p.pingToAckMaxUs, samples: p.samples, lost: p.lost, 'broadcasts/ack': p.piggybackedPerAck })
  console.table([row('pingToAck (µs), a broadcast enqueued before each ping', perPing), row('pingToAckSteady (µs), broadcasts pending, topped up every 50 pings', steady)])
  const ping = {
    ...perPing,
    pingToAckSteadyP50Us: steady.pingToAckP50Us,
    pingToAckSteadyP90Us: steady.pingToAckP90Us,
    pingToAckSteadyP99Us: steady.pingToAckP99Us,
    pingToAckSteadyMaxUs: steady.pingToAckMaxUs,
    steadyLost: steady.lost,
    steadyPiggybackedPerAck: steady.piggybackedPerAck,
    steadyBareAcks: steady.bareAcks,
  }
  if (pingOnly) {
    if (args.json) console.log(JSON.stringify({ ...ping, neighbour: withNeighbour, loadAvg: { start: loadAtStart, end: Number(loadavg()[0]!.toFixed(2)) } }))
    return
  }
  const by = Object.fromEntries(results.map((r) => [r.name, r.opsPerSec]))
  const ratio = (a: string, b: string): number => Number((by[a]! / by[b]!).toFixed(3))
  const ratios = {
    actorOneWayVsBaseline: ratio('actorOneWayPerSec', 'baselineOneWayPerSec'),
    actorOneWayInspectedVsActorOneWay: ratio('actorOneWayInspectedPerSec', 'actorOneWayPerSec'),
    actorBurstVsInlineMachine: ratio('actorBurstPerSec', 'inlineMachinePerSec'),
    actorRoundTripVsRaw: ratio('actorRoundTripPerSec', 'rawRoundTripPerSec'),
    /** context: the burst against the machine's limit on a worker thread */
    actorBurstVsWorkerInlineMachine: ratio('actorBurstPerSec', 'workerInlineMachinePerSec'),
    /** context: the ask against the same machine answering behind a bare port (the runtime's share alone) */
    actorRoundTripVsMachineRoundTrip: ratio('actorRoundTripPerSec', 'machineRoundTripPerSec'),
    /**
     * context: the ceiling of actorRoundTripVsRaw. The sink machine behind a bare port, with no
     * runtime at all, against the bare echo: what actorRoundTripVsRaw would be if the runtime cost
     * nothing. Each round trip wakes both threads, so the machine's few µs of transition stretch it
     * by more than their CPU time (a slower reply misses the idle core's polling window).
     */
    machineRoundTripVsRaw: ratio('machineRoundTripPerSec', 'rawRoundTripPerSec'),
  }
  const loadAvg = { start: loadAtStart, end: Number(loadavg()[0]!.toFixed(2)) }
  const targets = { actorOneWayInspectedVsActorOneWay: 0.9, actorOneWayVsBaseline: 0.8, actorBurstVsInlineMachine: 0.8, actorRoundTripVsRaw: 0.8 }
  const met = Object.fromEntries(Object.entries(targets).map(([k, t]) => [k, ratios[k as keyof typeof targets] >= t]))
  printReport(results, {
    json: args.json,
    extra: { ...ping, ratios, targets, met, inspectedSeen, neighbour: withNeighbour, loadAvg },
    notes: [
      ...Object.entries(ratios).map(([k, v]) => {
        const t = targets[k as keyof typeof targets]
        return t === undefined ? `${k}: ${v} (context)` : `${k}: ${v} (target >= ${t})${met[k] ? '' : '  MISSED'}`
      }),
      `load average (1 min) at start ${loadAvg.start}, at end ${loadAvg.end}${withNeighbour ? ' (the end includes the neighbour)' : ''}`,
    ],
  })
}

/**
 * Cluster convergence and failure detection, measured in the deterministic simulator (src/sim) with
 * the real encoded packets, LAN defaults and 1 ms links, for each node count and packet loss:
 *
 * - joinConvergenceS: simulated seconds from a node's join (push/pull with one member) until 50, 90,
 *   99 and 99.99 % of the existing members know it (memberlist NotifyJoin);
 * - failureDetectionS: from a crash until every running member has it dead (and the first suspicion);
 * - false suspicions and false deaths per node-hour: accusations of, and local dead declarations
 *   about, nodes that had not crashed;
 * - UDP packets and bytes (UDP + TCP) sent per node per second over the whole measured run.
 *
 * The baseline is HashiCorp's convergence model (spec §9), computed in the same run for the same N
 * and loss. Usage:
 *   npm run bench:cluster -- --nodes 10,100,1000 [--loss 0,0.1,0.5] [--seed 1] [--detector phi]
 *                            [--loss-from join|start] [--stale-refresh] [--json]
 * --stale-refresh turns on swim's staleSuspicionRefresh (not memberlist; off by default).
 * Figures are simulated time; the real time per case is printed for the 5-minute budget.
 */
import { SimCluster } from '../../src/sim/cluster.ts'
import type { SimEvent } from '../../src/sim/cluster.ts'

interface Args {
  nodes: number[]
  loss: number[]
  seed: number
  detector: 'lifeguard' | 'phi'
  /**
   * When loss starts: `join` (default) when the first member knows the joiner, so the figures
   * time gossip dissemination under loss as HashiCorp's model does; `start` before the join, so the
   * TCP push/pull handshake itself runs under loss (SYN retries: seconds at 50%).
   */
  lossFrom: 'join' | 'start'
  staleRefresh: boolean
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { nodes: [10, 100], loss: [0, 0.1, 0.5], seed: 1, detector: 'lifeguard', lossFrom: 'join', staleRefresh: false, json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--nodes') args.nodes = next().split(',').map(Number)
    else if (a === '--loss') args.loss = next().split(',').map(Number)
    else if (a === '--seed') args.seed = Number(next())
    else if (a === '--detector') args.detector = next() === 'phi' ? 'phi' : 'lifeguard'
    else if (a === '--loss-from') args.lossFrom = next() === 'start' ? 'start' : 'join'
    else if (a === '--json') args.json = true
    else if (a === '--stale-refresh') args.staleRefresh = true
  }
  for (const n of args.nodes) if (!Number.isInteger(n) || n < 3) throw new Error(`--nodes: ${n} is not an integer >= 3`)
  for (const l of args.loss) if (!(l >= 0 && l < 1)) throw new Error(`--loss: ${l} is not in [0, 1)`)
  return args
}

const PERCENTILES = [0.5, 0.9, 0.99, 0.9999] as const

/** HashiCorp's logistic model (spec §9): seconds until `p` of N nodes are reached. */
export function modelSeconds(n: number, loss: number, p: number, fanout = 3, intervalS = 0.2): number | null {
  const contact = (fanout / n) * (1 - loss) * 0.5
  for (let r = 0; r <= 100; r++) {
    const fraction = 1 / (1 + (n + 1) * Math.exp(-contact * n * r))
    if (fraction >= p) return round(r * intervalS)
  }
  return null
}

/** Minimum measured run per N, so small clusters collect enough node-hours for the false rates. */
function minRunMs(n: number): number {
  if (n <= 10) return 600_000
  if (n <= 100) return 120_000
  return 0
}

interface CaseResult {
  nodes: number
  loss: number
  detector: string
  joinConvergenceS: Record<string, number | null>
  referenceJoinS: Record<string, number | null>
  /** From the join call to the first member knowing the joiner (TCP push/pull, with retries). */
  joinHandshakeS: number | null
  joinAttempts: number
  joined: boolean
  /** Fraction of members that knew the joiner when the join phase ended. */
  joinedFraction: number
  /** From the crash until every watcher (running member that knew it) has it dead. */
  failureDetectionS: number | null
  /** The same for 50 / 90 / 99 % of the watchers. */
  failureDetectionPercentilesS: Record<string, number | null>
  /** Fraction of the crashed node's watchers that had it dead when the phase ended. */
  detectedFraction: number
  /** Phases were capped in simulated time (N ≥ 1000 with ≥ 30% loss). */
  capped: boolean
  /** memberlist broadcasts still queued per node at the end (a storm shows here). */
  queuedBroadcastsPerNode: number
  firstSuspicionS: number | null
  falseSuspicionsPerNodeHour: number
  falseDeathsPerNodeHour: number
  packetsPerNodePerS: number
  bytesPerNodePerS: number
  udpBytesPerNodePerS: number
  simulatedS: number
  realS: number
}

const DEBUG = process.env['CLUSTER_BENCH_DEBUG'] === '1'
const debug = (what: string, c: SimCluster, started: number) => {
  if (DEBUG) process.stderr.write(`  ${what}: sim ${c.clock.now()} ms, real ${Math.round(performance.now() - started)} ms, rss ${process.memoryUsage().rss >> 20} MiB\n`)
}

function runCase(n: number, loss: number, seed: number, detector: 'lifeguard' | 'phi', lossFrom: 'join' | 'start', staleRefresh: boolean): CaseResult {
  const started = performance.now()
  const c = new SimCluster({ seed, preset: 'lan', swim: { failureDetector: detector, staleSuspicionRefresh: staleRefresh } })
  c.keepEvents = false
  const members = c.warmStart(n)
  c.run(5_000) // probes and gossip tickers under way, no loss yet
  // At N=1000 and 50% loss the cluster falls into a storm
  // of false suspicions whose gossip outgrows what the queues can carry (measured: ~600 queued
  // broadcasts per node after 10 s); simulating it costs ~8 s of real time per simulated second,
  // so such phases are capped to keep the run inside its 5-minute budget (see `capped`).
  const storm = n >= 1000 && loss >= 0.3
  const joinWaitMs = storm ? 8_000 : 90_000
  const detectWaitMs = storm ? 24_000 : 180_000
  if (lossFrom === 'start') c.setLoss(loss)
  debug('warm', c, started)

  const t0 = c.clock.now()
  const net0 = c.network.stats()
  let crashed: string | undefined
  let crashAt = Infinity
  const joinSeen = new Map<string, number>()
  const deadSeen = new Map<string, number>()
  let firstSuspicion: number | undefined
  let falseSuspicions = 0
  let falseDeaths = 0
  c.onEvent((e: SimEvent) => {
    const o = e.output
    if (o.type === 'node-joined' && o.node.name === 'joiner' && e.observer !== 'joiner' && !joinSeen.has(e.observer)) {
      if (joinSeen.size === 0 && lossFrom === 'join') c.setLoss(loss)
      joinSeen.set(e.observer, e.atMs)
    }
    else if (o.type === 'suspect' && o.from === e.observer) {
      if (o.node === crashed && e.atMs >= crashAt) firstSuspicion ??= e.atMs
      else falseSuspicions++
    } else if (o.type === 'declared-dead' && o.node !== crashed) falseDeaths++
    else if (o.type === 'node-left' && o.node.name === crashed && o.node.state === 'dead' && !deadSeen.has(e.observer)) deadSeen.set(e.observer, e.atMs)
  })

  // Join: one new node pushes/pulls with a random member, then gossip spreads its alive. A failed
  // join (the TCP exchange can time out under heavy loss) is retried with another member, as an
  // agent's retry-join would.
  const joinAt = c.clock.now()
  let joinAttempts = 0
  let joined = false
  c.onEvent((e) => {
    if (e.observer !== 'joiner' || e.output.type !== 'join-completed') return
    if (e.output.numJoined > 0) joined = true
    else c.get('joiner').swim.join([members[c.random.int(members.length)]!.address]), joinAttempts++
  })
  c.addNode('joiner', [members[c.random.int(members.length)]!.name])
  joinAttempts++
  c.runUntil(() => joinSeen.size >= n, joinWaitMs)
  // Dissemination is timed from the first member that knew the joiner (the end of the push/pull),
  // which is what HashiCorp's model describes; the handshake before it is reported apart.
  const firstKnown = Math.min(...joinSeen.values())
  const joinTimes = [...joinSeen.values()].map((t) => t - firstKnown).sort((a, b) => a - b)
  const joinConvergenceS: Record<string, number | null> = {}
  const referenceJoinS: Record<string, number | null> = {}
  for (const p of PERCENTILES) {
    const k = Math.ceil(p * n)
    const t = joinTimes[k - 1]
    joinConvergenceS[`p${p * 100}`] = t === undefined ? null : round(t / 1000)
    referenceJoinS[`p${p * 100}`] = modelSeconds(n, loss, p)
  }
  debug('joined', c, started)
  c.run(2_000)
  const joinHandshakeS = joinSeen.size === 0 ? null : round((firstKnown - joinAt) / 1000)

  // Crash: a random original member stops answering.
  crashed = members[c.random.int(members.length)]!.name
  crashAt = c.clock.now()
  c.crash(crashed)
  // Watchers: running nodes that knew the victim (a node that never joined cannot detect it). The
  // predicate runs after every simulated event, so it only compares counts.
  const watchers = new Set(c.running().filter((x) => x.name !== crashed && x.stateOf(crashed!) !== undefined).map((x) => x.name))
  for (const w of watchers) if (c.get(w).stateOf(crashed) === 'dead') deadSeen.set(w, crashAt)
  let seen = 0
  const detectedAt = c.runUntil(() => {
    if (deadSeen.size === seen) return false
    seen = deadSeen.size
    for (const w of watchers) if (!deadSeen.has(w)) return false
    return true
  }, detectWaitMs)
  let detectedCount = 0
  for (const w of watchers) if (deadSeen.has(w)) detectedCount++
  const detectTimes = [...watchers].map((w) => deadSeen.get(w)).filter((t): t is number => t !== undefined).map((t) => t - crashAt).sort((a, b) => a - b)
  const failureDetectionPercentilesS: Record<string, number | null> = {}
  for (const p of [0.5, 0.9, 0.99]) {
    const t = detectTimes[Math.ceil(p * watchers.size) - 1]
    failureDetectionPercentilesS[`p${p * 100}`] = t === undefined ? null : round(t / 1000)
  }

  debug('detected', c, started)
  // Keep running so small clusters accumulate enough node-hours for the false-positive rates.
  const elapsed = c.clock.now() - t0
  if (elapsed < minRunMs(n)) c.run(minRunMs(n) - elapsed)

  const simulatedMs = c.clock.now() - t0
  const net = c.network.stats()
  const nodeSeconds = (n * simulatedMs) / 1000
  const nodeHours = nodeSeconds / 3600
  const udpBytes = net.bytesSent - net0.bytesSent
  return {
    nodes: n,
    loss,
    detector,
    joinConvergenceS,
    referenceJoinS,
    joinHandshakeS,
    joinAttempts,
    joined,
    joinedFraction: round(joinSeen.size / n),
    failureDetectionS: detectedAt === undefined ? null : round((detectedAt - crashAt) / 1000),
    failureDetectionPercentilesS,
    detectedFraction: round(detectedCount / Math.max(1, watchers.size)),
    capped: storm,
    queuedBroadcastsPerNode: round(queued(c) / c.running().length),
    firstSuspicionS: firstSuspicion === undefined ? null : round((firstSuspicion - crashAt) / 1000),
    falseSuspicionsPerNodeHour: round(falseSuspicions / nodeHours),
    falseDeathsPerNodeHour: round(falseDeaths / nodeHours),
    packetsPerNodePerS: round((net.packetsSent - net0.packetsSent) / nodeSeconds),
    bytesPerNodePerS: Math.round((udpBytes + net.streamBytes - net0.streamBytes) / nodeSeconds),
    udpBytesPerNodePerS: Math.round(udpBytes / nodeSeconds),
    simulatedS: round(simulatedMs / 1000),
    realS: round((performance.now() - started) / 1000),
  }
}

function queued(c: SimCluster): number {
  let q = 0
  for (const node of c.running()) q += node.queues.depth('memberlist')
  return q
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}

function main(): void {
  const args = parseArgs(process.argv.slice(2))
  const runs: CaseResult[] = []
  for (const n of args.nodes) {
    for (const loss of args.loss) {
      const r = runCase(n, loss, args.seed, args.detector, args.lossFrom, args.staleRefresh)
      runs.push(r)
      if (!args.json) process.stderr.write(`N=${n} loss=${loss}: ${r.realS} s real\n`)
    }
  }
  console.table(
    runs.map((r) => ({
      N: r.nodes,
      loss: r.loss,
      'join p50/p90/p99/p99.99 (s)': Object.values(r.joinConvergenceS).map((v) => v ?? '-').join(' / '),
      'model p50/p90/p99/p99.99 (s)': Object.values(r.referenceJoinS).join(' / '),
      'join handshake (s)': r.joinHandshakeS,
      'detect p50/p90/p99 (s)': Object.values(r.failureDetectionPercentilesS).map((v) => v ?? '-').join(' / '),
      'detect all (s)': r.failureDetectionS ?? `- (${Math.round(r.detectedFraction * 100)}%)`,
      'queued/node': r.queuedBroadcastsPerNode,
      'first suspicion (s)': r.firstSuspicionS,
      'false susp/node-h': r.falseSuspicionsPerNodeHour,
      'false dead/node-h': r.falseDeathsPerNodeHour,
      'pkts/node/s': r.packetsPerNodePerS,
      'B/node/s': r.bytesPerNodePerS,
      'sim s': r.simulatedS,
      'real s': r.realS,
    })),
  )
  if (args.json) console.log(JSON.stringify({ bench: 'cluster', seed: args.seed, detector: args.detector, lossFrom: args.lossFrom, staleSuspicionRefresh: args.staleRefresh, preset: 'lan', linkLatencyMs: 1, runs }))
}

main()

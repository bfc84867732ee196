/**
 * One case of the cluster bench: N warm members, a join, a crash, then quiet time, under one packet
 * loss, in the deterministic simulator. See cluster.bench.ts for the definitions of every figure.
 */
import { SimCluster } from '../../sim/cluster.ts'
import type { SimEvent } from '../../sim/cluster.ts'
import { modelSeconds } from './model.ts'

export interface CaseOptions {
  n: number
  loss: number
  seed: number
  detector: 'lifeguard' | 'phi'
  /** false: memberlist's exact rules (staleSuspicionRefresh off). */
  staleSuspicionRefresh: boolean
  lossFrom: 'join' | 'start'
  /** Simulated cap on the join and on the crash-detection phase (ms). */
  joinCapMs: number
  detectCapMs: number
  /** Run at least this long in all (ms), so small clusters collect node-hours for the rates. */
  minRunMs: number
}

export interface CaseResult {
  nodes: number
  loss: number
  detector: string
  staleSuspicionRefresh: boolean
  joinConvergenceS: Record<string, number | null>
  referenceJoinS: Record<string, number | null>
  joinHandshakeS: number | null
  joinAttempts: number
  joinedFraction: number
  failureDetectionS: number | null
  failureDetectionPercentilesS: Record<string, number | null>
  firstSuspicionS: number | null
  firstDeclarationS: number | null
  detectedFraction: number
  joinCapS: number
  detectCapS: number
  falseSuspicionsPerNodeHour: number
  falseSuspicionViewsPerNodeHour: number
  falseDeathsPerNodeHour: number
  falseDeathViewsPerNodeHour: number
  falseDeathDeclarationsPerNodeHour: number
  packetsPerNodePerS: number
  bytesPerNodePerS: number
  udpBytesPerNodePerS: number
  /** Diagnostics: why the figures are what they are. */
  diag: Record<string, number>
  /** Protocol figures to compare with (filled in by the bench). */
  model?: Record<string, number>
  simulatedS: number
  realS: number
}

const PERCENTILES = [0.5, 0.9, 0.99, 0.9999] as const
const DEBUG = process.env['CLUSTER_BENCH_DEBUG'] === '1'

export function runCase(o: CaseOptions): CaseResult {
  const started = performance.now()
  const debug = (what: string) => {
    if (DEBUG) process.stderr.write(`  N=${o.n} loss=${o.loss} ${what}: sim ${c.clock.now()} ms, real ${Math.round(performance.now() - started)} ms, queued/node ${round(queued(c) / c.running().length)}\n`)
  }
  const c = new SimCluster({ seed: o.seed, preset: 'lan', swim: { failureDetector: o.detector, staleSuspicionRefresh: o.staleSuspicionRefresh } })
  c.keepEvents = false
  const members = c.warmStart(o.n)
  c.run(5_000) // probes and gossip tickers under way, no loss yet
  if (o.lossFrom === 'start') c.setLoss(o.loss)
  debug('warm')

  const t0 = c.clock.now()
  const net0 = c.network.stats()
  let crashed: string | undefined
  let crashAt = Infinity
  const isCrashed = (name: string, atMs: number) => name === crashed && atMs >= crashAt
  const joinSeen = new Map<string, number>()
  const deadSeen = new Map<string, number>()
  let firstSuspicion: number | undefined
  let firstDeclaration: number | undefined
  const f = { accusations: 0, suspicionViews: 0, deathViews: 0, declarations: 0 }
  const deathEpisodes = new Set<string>()
  const suspicionCauses = { probe: 0, gossip: 0, 'push-pull': 0 }
  c.onEvent((e: SimEvent) => {
    const out = e.output
    switch (out.type) {
      case 'node-joined':
        if (out.node.name === 'joiner' && e.observer !== 'joiner' && !joinSeen.has(e.observer)) {
          if (joinSeen.size === 0 && o.lossFrom === 'join') c.setLoss(o.loss)
          joinSeen.set(e.observer, e.atMs)
        }
        return
      case 'suspect':
        if (isCrashed(out.node, e.atMs)) {
          if (out.cause === 'probe') firstSuspicion ??= e.atMs
          return
        }
        f.suspicionViews++
        suspicionCauses[out.cause ?? 'gossip']++
        if (out.cause === 'probe') f.accusations++
        return
      case 'declared-dead':
        if (isCrashed(out.node, e.atMs)) firstDeclaration ??= e.atMs
        else f.declarations++
        return
      case 'node-left':
        if (out.node.state !== 'dead') return
        if (isCrashed(out.node.name, e.atMs)) {
          if (!deadSeen.has(e.observer)) deadSeen.set(e.observer, e.atMs)
        } else {
          f.deathViews++
          deathEpisodes.add(`${out.node.name}@${out.node.incarnation}`)
        }
        return
      default:
    }
  })

  // Join: one new node pushes/pulls with a random member, then gossip spreads its alive. A failed
  // join (the TCP exchange can time out under heavy loss) is retried with another member, as an
  // agent's retry-join would.
  const joinAt = c.clock.now()
  let joinAttempts = 1
  c.onEvent((e) => {
    if (e.observer !== 'joiner' || e.output.type !== 'join-completed' || e.output.numJoined > 0) return
    c.get('joiner').swim.join([members[c.random.int(members.length)]!.address])
    joinAttempts++
  })
  c.addNode('joiner', [members[c.random.int(members.length)]!.name])
  c.runUntil(() => joinSeen.size >= o.n, o.joinCapMs)
  // Dissemination is timed from the first member that knew the joiner (the end of the push/pull),
  // which is what HashiCorp's model describes; the handshake before it is reported apart.
  const firstKnown = Math.min(...joinSeen.values())
  const joinTimes = [...joinSeen.values()].map((t) => t - firstKnown).sort((a, b) => a - b)
  const joinConvergenceS: Record<string, number | null> = {}
  const referenceJoinS: Record<string, number | null> = {}
  for (const p of PERCENTILES) {
    const t = joinTimes[Math.ceil(p * o.n) - 1]
    joinConvergenceS[`p${p * 100}`] = t === undefined ? null : round(t / 1000)
    referenceJoinS[`p${p * 100}`] = modelSeconds(o.n, o.loss, p)
  }
  debug('joined')
  c.run(2_000)

  // Crash: a random original member stops answering. Watchers: running nodes that knew it.
  crashed = members[c.random.int(members.length)]!.name
  crashAt = c.clock.now()
  c.crash(crashed)
  const watchers = new Set(c.running().filter((x) => x.name !== crashed && x.stateOf(crashed!) !== undefined).map((x) => x.name))
  for (const w of watchers) if (c.get(w).stateOf(crashed) === 'dead') deadSeen.set(w, crashAt)
  // The predicate runs after every simulated event, so it only compares counts.
  let seen = 0
  const detectedAt = c.runUntil(() => {
    if (deadSeen.size === seen) return false
    seen = deadSeen.size
    for (const w of watchers) if (!deadSeen.has(w)) return false
    return true
  }, o.detectCapMs)
  let detectedCount = 0
  for (const w of watchers) if (deadSeen.has(w)) detectedCount++
  const detectTimes = [...watchers].map((w) => deadSeen.get(w)).filter((t): t is number => t !== undefined).map((t) => t - crashAt).sort((a, b) => a - b)
  const failureDetectionPercentilesS: Record<string, number | null> = {}
  for (const p of [0.5, 0.9, 0.99]) {
    const t = detectTimes[Math.ceil(p * watchers.size) - 1]
    failureDetectionPercentilesS[`p${p * 100}`] = t === undefined ? null : round(t / 1000)
  }
  debug('detected')
  const elapsed = c.clock.now() - t0
  if (elapsed < o.minRunMs) c.run(o.minRunMs - elapsed)

  const simulatedMs = c.clock.now() - t0
  const net = c.network.stats()
  const nodeSeconds = (o.n * simulatedMs) / 1000
  const perNodeHour = (x: number) => round(x / (nodeSeconds / 3600))
  const udpBytes = net.bytesSent - net0.bytesSent
  return {
    nodes: o.n,
    loss: o.loss,
    detector: o.detector,
    staleSuspicionRefresh: o.staleSuspicionRefresh,
    joinConvergenceS,
    referenceJoinS,
    joinHandshakeS: joinSeen.size === 0 ? null : round((firstKnown - joinAt) / 1000),
    joinAttempts,
    joinedFraction: round(joinSeen.size / o.n),
    failureDetectionS: detectedAt === undefined ? null : round((detectedAt - crashAt) / 1000),
    failureDetectionPercentilesS,
    firstSuspicionS: firstSuspicion === undefined ? null : round((firstSuspicion - crashAt) / 1000),
    firstDeclarationS: firstDeclaration === undefined ? null : round((firstDeclaration - crashAt) / 1000),
    detectedFraction: round(detectedCount / Math.max(1, watchers.size)),
    joinCapS: o.joinCapMs / 1000,
    detectCapS: o.detectCapMs / 1000,
    falseSuspicionsPerNodeHour: perNodeHour(f.accusations),
    falseSuspicionViewsPerNodeHour: perNodeHour(f.suspicionViews),
    falseDeathsPerNodeHour: perNodeHour(deathEpisodes.size),
    falseDeathViewsPerNodeHour: perNodeHour(f.deathViews),
    falseDeathDeclarationsPerNodeHour: perNodeHour(f.declarations),
    packetsPerNodePerS: round((net.packetsSent - net0.packetsSent) / nodeSeconds),
    bytesPerNodePerS: Math.round((udpBytes + net.streamBytes - net0.streamBytes) / nodeSeconds),
    udpBytesPerNodePerS: Math.round(udpBytes / nodeSeconds),
    diag: diagnostics(c, f, suspicionCauses, deathEpisodes.size),
    simulatedS: round(simulatedMs / 1000),
    realS: round((performance.now() - started) / 1000),
  }
}

/** Counter sums over the running nodes, and queue state at the end. */
function diagnostics(c: SimCluster, f: Record<string, number>, causes: Record<string, number>, episodes: number): Record<string, number> {
  const nodes = c.running()
  const sum = (k: keyof (typeof nodes)[0]['swim']['counters']) => nodes.reduce((a, n) => a + (n.swim.counters[k] as number), 0)
  let health = 0
  for (const n of nodes) health += n.swim.awareness.getHealthScore()
  const ml = nodes.map((n) => n.queues.stats().memberlist)
  const qsum = (k: 'enqueued' | 'transmits' | 'finished' | 'invalidated' | 'pruned') => ml.reduce((a, q) => a + q[k], 0)
  const stats = c.network.stats()
  return {
    falseAccusations: f['accusations']!,
    falseSuspicionViews: f['suspicionViews']!,
    falseSuspicionViewsByGossip: causes['gossip']!,
    falseSuspicionViewsByPushPull: causes['push-pull']!,
    falseDeathEpisodes: episodes,
    falseDeathViews: f['deathViews']!,
    falseDeathDeclarations: f['declarations']!,
    meanHealthScore: round(health / nodes.length),
    probes: sum('probes'),
    probesFailed: sum('probesFailed'),
    tcpFallbacks: sum('tcpFallbacks'),
    tcpFallbackContacts: sum('tcpFallbackContacts'),
    refutations: sum('refutations'),
    suspectsTold: sum('suspectsTold'),
    suspicionChecks: sum('suspicionChecks'),
    staleRumoursAnswered: sum('staleRumoursAnswered'),
    handoffDropped: sum('handoffDropped'),
    queuedBroadcastsPerNode: round(queued(c) / nodes.length),
    broadcastsEnqueuedPerNode: round(qsum('enqueued') / nodes.length),
    broadcastsInvalidatedPerNode: round(qsum('invalidated') / nodes.length),
    broadcastsFinishedPerNode: round(qsum('finished') / nodes.length),
    streamsOpened: stats.streamsOpened,
    streamsFailed: stats.streamsFailed,
  }
}

function queued(c: SimCluster): number {
  let q = 0
  for (const node of c.running()) q += node.queues.depth('memberlist')
  return q
}

export function round(x: number): number {
  return Math.round(x * 100) / 100
}

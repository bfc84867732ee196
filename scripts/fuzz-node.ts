/**
 * npm run fuzz:node -- [--datagrams N] [--queue-kb K] [--rate R] [--max-seconds S] [--seed S] [--names N] [--json]
 *
 * Issue 10 ("one datagram must never take a node out") against a real node: the target (swim,
 * gossip-queue and member-manager in worker threads, as in scripts/readme-cluster.ts) in this
 * process, and a live peer that joined it in a process of its own (fuzz-node-peer.ts). An attacker
 * here sends the target N datagrams over real UDP on loopback (default 1,000,000: garbage,
 * corrupted packets and well-formed messages with hostile fields, fuzz-node-inputs.ts), then runs a
 * stream phase over TCP (fuzz-node-streams.ts: hostile push/pulls, garbage, endless, oversized,
 * slow, many connections at once). Meanwhile the peer pings the target every 20 ms and watches its
 * member table for the target going failed.
 *
 * The datagrams are paced on the target's kernel receive queue (under --queue-kb, 64 KiB; see
 * fuzz-node-pacing.ts): the attack is about content, not volume. --rate caps the send rate too; the
 * datagram phase stops at --max-seconds (240) and reports the count and rate it reached.
 *
 * Prints a table, and with --json one JSON object as the last line:
 * {"datagrams","streams","crashes","escalations","peerSawFailed","pingsAnswered","pingsSent","rssStartMB","rssPeakMB","rssEndMB"}
 * (RSS of this process: the target's node and the attacker; rssStartMB once the target runs).
 * Targets: 0 crashes, 0 escalations (target and peer), the peer never sees the target failed,
 * >= 99% of the pings answered within 2 s, peak RSS <= 300 MB. Not part of the test suite.
 */
import { fork } from 'node:child_process'
import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { ActorSystem, createSwimConfig, gossipQueue, gossipQueueConfigFor, memberManager, swim } from '../src/index.ts'
import { createSeededRandom } from '../src/types/random.ts'
import { HostileInputs } from './fuzz-node-inputs.ts'
import type { PeerReport } from './fuzz-node-peer.ts'
import { streamPhase } from './fuzz-node-streams.ts'
import { counterHeadroom, datagramPhase, kernelHeadroom, udpSocketRow } from './fuzz-node-pacing.ts'

interface Args {
  datagrams: number
  queueKb: number
  rate: number
  maxSeconds: number
  seed: number
  names: number
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const num = (flag: string, dflt: number, min: number): number => {
    const i = argv.indexOf(flag)
    if (i < 0) return dflt
    const v = Number(argv[i + 1])
    if (!Number.isInteger(v) || v < min) throw new Error(`${flag} must be an integer >= ${min} (got ${argv[i + 1]})`)
    return v
  }
  return {
    datagrams: num('--datagrams', 1_000_000, 0),
    queueKb: num('--queue-kb', 64, 1),
    rate: num('--rate', 1_000_000, 1),
    maxSeconds: num('--max-seconds', 240, 1),
    seed: num('--seed', 1, 0),
    names: num('--names', 64, 1),
    json: argv.includes('--json'),
  }
}

const MB = 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The target: one node as in the README's cluster example. */
async function startTarget(name: string) {
  const system = await ActorSystem.start({ node: name, logLevel: 'silent' })
  const shape = { ...createSwimConfig({}, 'local'), encrypted: false }
  await system.spawn(gossipQueue, { id: 'gossip-queue', input: { config: gossipQueueConfigFor(shape) } })
  await system.spawn(memberManager, { id: 'member-manager', input: { config: { nodeName: name } }, dependsOn: ['gossip-queue'] })
  const node = await system.spawn(swim, { id: 'swim', input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local' }, dependsOn: ['gossip-queue', 'member-manager'] })
  for (;;) {
    const { value, context } = await node.getSnapshot()
    if (value === 'running') return { system, node, address: context.address, port: Number(context.address.slice(context.address.lastIndexOf(':') + 1)) }
    if (value === 'failed') throw new Error(`${name}: ${(context.bindError ?? context.configError)?.message}`)
    await sleep(10)
  }
}

/** The peer in its own process; resolves once it has joined and pings. */
async function startPeer(target: string, targetName: string) {
  const child = fork(new URL('./fuzz-node-peer.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const messages: Array<{ type: string; [k: string]: unknown }> = []
  const waiters: Array<() => void> = []
  child.on('message', (m) => {
    messages.push(m as { type: string })
    for (const w of waiters.splice(0)) w()
  })
  const next = async (type: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const m = messages.find((x) => x.type === type || x.type === 'error')
      if (m?.type === 'error') throw new Error(`peer: ${String(m['message'])}`)
      if (m !== undefined) return m
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`peer: no ${type} within ${timeoutMs} ms`)
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(100)])
    }
  }
  child.send({ type: 'start', target, targetName })
  const ready = await next('ready', 60_000)
  const address = String(ready['address'])
  return {
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    async stop(): Promise<PeerReport> {
      child.send({ type: 'stop' })
      const report = (await next('report', 30_000)) as unknown as PeerReport
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)))
      return report
    },
  }
}

/** The attacker's UDP socket and a TCP listener on the same loopback port (nodes may dial it). */
async function attackerSockets(): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  for (;;) {
    const tcp = createServer((s) => {
      s.on('error', () => {})
      s.resume()
      setTimeout(() => s.destroy(), 200).unref()
    })
    await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(0, '127.0.0.1', resolve))
    const port = (tcp.address() as { port: number }).port
    const udp = createSocket('udp4')
    const bound = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false))
      udp.bind(port, '127.0.0.1', () => resolve(true))
    })
    if (bound) return { udp, tcp, port }
    tcp.close()
    udp.close()
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`)
  const problems = { crashes: 0, escalations: 0, first: '' }

  const target = await startTarget('target')
  target.system.on((e) => {
    if (e.type === 'actor.crashed') problems.crashes++
    if (e.type === 'actor.escalated') problems.escalations++
    if (e.type === 'actor.crashed' || e.type === 'actor.escalated') problems.first ||= `target/${e.actor}: ${e.error.code} ${e.error.message}`
  })
  const rss = { start: process.memoryUsage().rss, peak: 0, end: 0 }
  const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, process.memoryUsage().rss)), 100)
  const peer = await startPeer(target.address, 'target')

  const attacker = await attackerSockets()
  attacker.udp.on('message', () => {})
  const inputs = new HostileInputs({ targetName: 'target', peerName: 'peer', targetPort: target.port, peerPort: peer.port, attackerPort: attacker.port, namePool: args.names }, createSeededRandom(args.seed))
  // Pacing: the kernel's receive queue of the target; else what the target's swim has taken.
  let taken = await takenBy(target.node)
  let polling = false
  let poll: Promise<void> = Promise.resolve()
  let headroom = kernelHeadroom(target.port, args.queueKb * 1024)
  let pacing = `receive queue under ${args.queueKb} KiB`
  if (headroom === undefined) {
    polling = true
    poll = (async () => {
      while (polling) {
        taken = await takenBy(target.node)
        await sleep(2)
      }
    })()
    headroom = counterHeadroom(() => taken)
    pacing = 'at most 128 datagrams ahead of swim (no /proc/net/udp)'
  }
  log(`fuzz:node seed ${args.seed}: target ${target.address}, attacker 127.0.0.1:${attacker.port}; ${args.datagrams} datagrams, ${pacing}, max ${args.maxSeconds} s`)
  const phases: Array<[string, number]> = [['datagrams', Date.now()]]
  const dg = await datagramPhase(attacker.udp, target.port, inputs, { total: args.datagrams, rate: args.rate, maxMs: args.maxSeconds * 1000 }, headroom, (n, ms) =>
    log(`  ${n} datagrams in ${(ms / 1000).toFixed(0)} s (${Math.round((n * 1000) / ms)}/s), rss ${memoryLine()}`),
  )
  const rate = Math.round((dg.sent * 1000) / Math.max(1, dg.ms))
  log(`datagram phase: ${dg.sent} in ${(dg.ms / 1000).toFixed(1)} s (${rate}/s), ${dg.sendErrors} send errors, rss peak so far ${mb(rss.peak)} MB`)
  const drops = { target: udpSocketRow(target.port)?.drops ?? -1, attacker: udpSocketRow(attacker.port)?.drops ?? -1, peer: udpSocketRow(peer.port)?.drops ?? -1 }
  phases.push(['streams', Date.now()])
  const streams = await streamPhase(target.port, () => inputs.pushPull(), (n) => inputs.garbage(n), createSeededRandom(args.seed).fork('streams'))
  log(`stream phase: ${streams.opened} connections in ${(streams.ms / 1000).toFixed(1)} s, rss peak so far ${mb(rss.peak)} MB`)
  phases.push(['settle', Date.now()])
  await sleep(3_000) // time for a suspicion of the target to reach the peer, were there one
  const peerReport = await peer.stop()
  polling = false
  await poll

  const snap = await target.node.getSnapshot()
  const actorStats = await target.system.stats()
  clearInterval(sampler)
  rss.end = process.memoryUsage().rss // the target still runs: what it holds after the attack
  rss.peak = Math.max(rss.peak, rss.end)
  await target.system.shutdown({ drainTimeoutMs: 2_000 })
  attacker.udp.close()
  attacker.tcp.close()

  const c = snap.context.counters
  const rows: Array<[string, string | number | boolean]> = [
    ['datagrams sent (rate /s)', `${dg.sent} (${rate})`],
    ['target packetsIn / malformed / sent', `${c.packetsIn} / ${c.packetsMalformed} / ${c.packetsSent}`],
    ['target partsInvalid / partsTruncated', `${c.partsInvalid} / ${c.partsTruncated}`],
    ['target messagesRefused (last)', `${c.messagesRefused} (${c.lastRefusal.slice(0, 70)})`],
    ['target conflicts / refutations / impossible', `${c.conflicts} / ${c.refutations} / ${c.refutationsImpossible}`],
    ['target handoffDropped / broadcastsUnencodable', `${c.handoffDropped} / ${c.broadcastsUnencodable}`],
    ['target numNodes at the end', snap.context.numNodes],
    ['target streamsMalformed / tooLarge / timedOut', `${c.streamsMalformed} / ${c.streamsTooLarge} / ${c.inboundStreamsTimedOut}`],
    ['target mailboxes dropped / rejected / lost', `${sum(actorStats, 'dropped')} / ${sum(actorStats, 'rejected')} / ${sum(actorStats, 'lost')}`],
    ['streams opened / closed by the node / cut by us', `${streams.opened} / ${streams.closedByNode} / ${streams.cutByUs}`],
    ['stream kinds: opened, longest open (ms)', streams.kinds.map((k) => `${k.kind} ${k.opened}, ${k.longestOpenMs}`).join('; ')],
    ['crashes / escalations (target + peer)', `${problems.crashes + peerReport.crashes} / ${problems.escalations + peerReport.escalations} ${problems.first || peerReport.firstProblem}`],
    ['peer saw the target failed', peerReport.sawFailed],
    ['kernel drops after the datagrams: target / peer / attacker', `${drops.target} / ${drops.peer} / ${drops.attacker}`],
    ['pings answered / sent (late)', `${peerReport.pingsAnswered} / ${peerReport.pingsSent} (${peerReport.pingsLate})`],
    ['pings unanswered by phase (sent before / during each)', lostByPhase(peerReport.lostAt, phases)],
    ['RSS start / peak / end (MB)', `${mb(rss.start)} / ${mb(rss.peak)} / ${mb(rss.end)}`],
  ]
  console.table(Object.fromEntries(rows.map(([k, v]) => [k, { value: v }])))
  const result = {
    datagrams: dg.sent,
    streams: streams.opened,
    crashes: problems.crashes + peerReport.crashes,
    escalations: problems.escalations + peerReport.escalations,
    peerSawFailed: peerReport.sawFailed,
    pingsAnswered: peerReport.pingsAnswered,
    pingsSent: peerReport.pingsSent,
    rssStartMB: mb(rss.start),
    rssPeakMB: mb(rss.peak),
    rssEndMB: mb(rss.end),
  }
  if (args.json) console.log(JSON.stringify(result))
}

function sum(stats: ReadonlyArray<{ dropped: number; rejected: number; lost: number }>, key: 'dropped' | 'rejected' | 'lost'): number {
  return stats.reduce((n, s) => n + s[key], 0)
}

/** What the target's swim has taken: datagrams decoded or counted as malformed or undecryptable. */
async function takenBy(node: Awaited<ReturnType<typeof startTarget>>['node']): Promise<number> {
  const c = (await node.getSnapshot()).context.counters
  return c.packetsIn + c.packetsMalformed + c.packetsUndecryptable
}

/** How many of the unanswered pings were sent in each phase (by send time). */
function lostByPhase(lostAt: readonly number[], phases: ReadonlyArray<[string, number]>): string {
  const counts = new Map<string, number>([['before', 0], ...phases.map(([name]): [string, number] => [name, 0])])
  for (const at of lostAt) {
    let phase = 'before'
    for (const [name, start] of phases) if (at >= start) phase = name
    counts.set(phase, counts.get(phase)! + 1)
  }
  return [...counts].map(([k, v]) => `${k} ${v}`).join(', ')
}

/** RSS of the process, and of it the main thread's heap (the attacker's share; the target's workers have their own). */
function memoryLine(): string {
  const m = process.memoryUsage()
  return `${mb(m.rss)} MB (main thread heap ${mb(m.heapTotal)} MB, array buffers ${mb(m.arrayBuffers)} MB)`
}

function mb(bytes: number): number {
  return Math.round(bytes / MB)
}

await main()

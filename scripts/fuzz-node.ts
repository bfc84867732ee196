/**
 * npm run fuzz:node -- [--datagrams N] [--queue-kb K] [--pace kernel|counters] [--rate R] [--max-seconds S] [--seed S] [--names N] [--json]
 *
 * Issue 10 ("one datagram must never take a node out") against a real node: the target (swim,
 * gossip-queue and member-manager in worker threads, as in scripts/readme-cluster.ts) and a live
 * peer that joined it, each in a process of its own (fuzz-node-target.ts, fuzz-node-peer.ts), so the
 * RSS measured is the target's alone. An attacker in this process sends the target N datagrams over real UDP on loopback (default 1,000,000: garbage,
 * corrupted packets and well-formed messages with hostile fields, fuzz-node-inputs.ts), then runs a
 * stream phase over TCP (fuzz-node-streams.ts: hostile push/pulls, garbage, endless, oversized,
 * slow, many connections at once). Meanwhile the peer pings the target every 20 ms and watches its
 * member table for the target going failed.
 *
 * The datagrams are paced on the target's kernel receive queue (under --queue-kb, 64 KiB; see
 * fuzz-node-pacing.ts; --pace counters, or no /proc/net/udp, paces on swim's packet counters): the attack is about content, not volume. --rate caps the send rate too; the
 * datagram phase stops at --max-seconds (240) and reports the count and rate it reached.
 *
 * Prints a table, and with --json one JSON object as the last line:
 * {"datagrams","streams","crashes","escalations","peerSawFailed","pingsAnswered","pingsSent","rssStartMB","rssPeakMB","rssEndMB"}
 * (RSS of the target's process: rssStartMB once it runs, rssEndMB after the attack, still running).
 * Targets: 0 crashes, 0 escalations (target and peer), the peer never sees the target failed,
 * >= 99% of the pings answered within 2 s, peak RSS <= 300 MB. Not part of the test suite.
 */
import { fork } from 'node:child_process'
import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { createSeededRandom } from '../src/types/random.ts'
import { HostileInputs } from './fuzz-node-inputs.ts'
import type { PeerReport } from './fuzz-node-peer.ts'
import type { TargetReport } from './fuzz-node-target.ts'
import { streamPhase } from './fuzz-node-streams.ts'
import { counterHeadroom, datagramPhase, kernelHeadroom, udpSocketRow } from './fuzz-node-pacing.ts'

interface Args {
  datagrams: number
  queueKb: number
  rate: number
  maxSeconds: number
  seed: number
  names: number
  pace: 'kernel' | 'counters'
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
  const pace = argv.includes('--pace') ? argv[argv.indexOf('--pace') + 1] : 'kernel'
  if (pace !== 'kernel' && pace !== 'counters') throw new Error(`--pace must be kernel or counters (got ${pace})`)
  return {
    datagrams: num('--datagrams', 1_000_000, 0),
    queueKb: num('--queue-kb', 64, 1),
    rate: num('--rate', 1_000_000, 1),
    maxSeconds: num('--max-seconds', 240, 1),
    seed: num('--seed', 1, 0),
    names: num('--names', 64, 1),
    pace: pace === 'counters' ? 'counters' : 'kernel',
    json: argv.includes('--json'),
  }
}

const MB = 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type ChildMessage = { type: string; [k: string]: unknown }

/**
 * A node in a child process (fuzz-node-target.ts, fuzz-node-peer.ts) on IPC: `next(type)` takes the
 * next message of that type (an `error` message from the child throws), `on` sees every message.
 */
function child(script: string, what: string) {
  const proc = fork(new URL(script, import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const inbox: ChildMessage[] = []
  const waiters: Array<() => void> = []
  const listeners: Array<(m: ChildMessage) => void> = []
  proc.on('message', (raw) => {
    const m = raw as ChildMessage
    for (const l of listeners) l(m)
    if (m.type === 'rss') return // a stream, seen by listeners only
    inbox.push(m)
    for (const w of waiters.splice(0)) w()
  })
  proc.on('exit', () => waiters.splice(0).forEach((w) => w()))
  return {
    send: (m: ChildMessage) => proc.send(m),
    on: (l: (m: ChildMessage) => void) => void listeners.push(l),
    async next(type: string, timeoutMs: number): Promise<ChildMessage> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const i = inbox.findIndex((x) => x.type === type || x.type === 'error')
        if (i >= 0) {
          const [m] = inbox.splice(i, 1)
          if (m!.type === 'error') throw new Error(`${what}: ${String(m!['message'])}`)
          return m!
        }
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`${what}: no ${type} within ${timeoutMs} ms`)
        await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(100)])
      }
    },
    exited: () => new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once('exit', r))),
  }
}

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1))

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

  const target = child('./fuzz-node-target.ts', 'target')
  target.send({ type: 'start', name: 'target' })
  const targetAddress = String((await target.next('ready', 60_000))['address'])
  const targetPort = portOf(targetAddress)
  const rss = { start: 0, peak: 0, last: 0 }
  target.on((m) => {
    if (m.type !== 'rss') return
    rss.last = m['rss'] as number
    if (rss.start === 0) rss.start = rss.last
    rss.peak = Math.max(rss.peak, rss.last)
  })
  const peer = child('./fuzz-node-peer.ts', 'peer')
  peer.send({ type: 'start', target: targetAddress, targetName: 'target' })
  const peerPort = portOf(String((await peer.next('ready', 60_000))['address']))

  const attacker = await attackerSockets()
  attacker.udp.on('message', () => {})
  const inputs = new HostileInputs({ targetName: 'target', peerName: 'peer', targetPort, peerPort, attackerPort: attacker.port, namePool: args.names }, createSeededRandom(args.seed))
  // Pacing: the kernel's receive queue of the target; else what the target's swim has taken.
  let headroom = args.pace === 'kernel' ? kernelHeadroom(targetPort, args.queueKb * 1024) : undefined
  let pacing = `receive queue under ${args.queueKb} KiB`
  let polling = false
  let poll: Promise<void> = Promise.resolve()
  if (headroom === undefined) {
    const takenNow = async () => {
      target.send({ type: 'taken' })
      return (await target.next('taken', 10_000))['taken'] as number
    }
    let taken = await takenNow()
    polling = true
    poll = (async () => {
      while (polling) {
        taken = await takenNow()
        await sleep(2)
      }
    })()
    headroom = counterHeadroom(() => taken)
    pacing = 'at most 128 datagrams ahead of what swim has taken (its counters)'
  }
  log(`fuzz:node seed ${args.seed}: target ${targetAddress}, attacker 127.0.0.1:${attacker.port}; ${args.datagrams} datagrams, ${pacing}, max ${args.maxSeconds} s`)
  const phases: Array<[string, number]> = [['datagrams', Date.now()]]
  const dg = await datagramPhase(attacker.udp, targetPort, inputs, { total: args.datagrams, rate: args.rate, maxMs: args.maxSeconds * 1000 }, headroom, (n, ms) =>
    log(`  ${n} datagrams in ${(ms / 1000).toFixed(0)} s (${Math.round((n * 1000) / ms)}/s), target rss ${mb(rss.last)} MB`),
  )
  polling = false
  await poll
  const rate = Math.round((dg.sent * 1000) / Math.max(1, dg.ms))
  log(`datagram phase: ${dg.sent} in ${(dg.ms / 1000).toFixed(1)} s (${rate}/s), ${dg.sendErrors} send errors, target rss peak so far ${mb(rss.peak)} MB`)
  const drops = { target: udpSocketRow(targetPort)?.drops ?? -1, attacker: udpSocketRow(attacker.port)?.drops ?? -1, peer: udpSocketRow(peerPort)?.drops ?? -1 }
  phases.push(['streams', Date.now()])
  const streams = await streamPhase(targetPort, () => inputs.pushPull(), (n) => inputs.garbage(n), createSeededRandom(args.seed).fork('streams'))
  log(`stream phase: ${streams.opened} connections in ${(streams.ms / 1000).toFixed(1)} s, target rss peak so far ${mb(rss.peak)} MB`)
  phases.push(['settle', Date.now()])
  await sleep(3_000) // time for a suspicion of the target to reach the peer, were there one

  peer.send({ type: 'stop' })
  const p = (await peer.next('report', 30_000)) as unknown as PeerReport
  target.send({ type: 'stop' })
  const t = (await target.next('report', 30_000)) as unknown as TargetReport
  await Promise.all([peer.exited(), target.exited()])
  attacker.udp.close()
  attacker.tcp.close()
  rss.peak = Math.max(rss.peak, t.rssEnd)

  const c = t.counters
  const rows: Array<[string, string | number | boolean]> = [
    ['datagrams sent (rate /s)', `${dg.sent} (${rate})`],
    ['target packetsIn / malformed / sent', `${c.packetsIn} / ${c.packetsMalformed} / ${c.packetsSent}`],
    ['target partsInvalid / partsTruncated', `${c.partsInvalid} / ${c.partsTruncated}`],
    ['target messagesRefused (last)', `${c.messagesRefused} (${String(c.lastRefusal ?? '').slice(0, 70)})`],
    ['target conflicts / refutations / impossible', `${c.conflicts} / ${c.refutations} / ${c.refutationsImpossible}`],
    ['target handoffDropped / broadcastsUnencodable', `${c.handoffDropped} / ${c.broadcastsUnencodable}`],
    ['target numNodes at the end', t.numNodes],
    ['target streamsMalformed / tooLarge / timedOut', `${c.streamsMalformed} / ${c.streamsTooLarge} / ${c.inboundStreamsTimedOut}`],
    ['target mailboxes dropped / rejected / lost', `${t.mailbox.dropped} / ${t.mailbox.rejected} / ${t.mailbox.lost}`],
    ['streams opened / closed by the node / cut by us', `${streams.opened} / ${streams.closedByNode} / ${streams.cutByUs}`],
    ['stream kinds: opened, longest open (ms)', streams.kinds.map((k) => `${k.kind} ${k.opened}, ${k.longestOpenMs}`).join('; ')],
    ['crashes / escalations (target + peer)', `${t.crashes + p.crashes} / ${t.escalations + p.escalations} ${t.firstProblem || p.firstProblem}`],
    ['peer saw the target failed', p.sawFailed],
    ['kernel drops after the datagrams: target / peer / attacker', `${drops.target} / ${drops.peer} / ${drops.attacker}`],
    ['pings answered / sent (late)', `${p.pingsAnswered} / ${p.pingsSent} (${p.pingsLate})`],
    ['pings unanswered by phase (sent before / during each)', lostByPhase(p.lostAt, phases)],
    ['target RSS start / peak / end (MB)', `${mb(rss.start)} / ${mb(rss.peak)} / ${mb(t.rssEnd)}`],
  ]
  console.table(Object.fromEntries(rows.map(([k, v]) => [k, { value: v }])))
  const result = {
    datagrams: dg.sent,
    streams: streams.opened,
    crashes: t.crashes + p.crashes,
    escalations: t.escalations + p.escalations,
    peerSawFailed: p.sawFailed,
    pingsAnswered: p.pingsAnswered,
    pingsSent: p.pingsSent,
    rssStartMB: mb(rss.start),
    rssPeakMB: mb(rss.peak),
    rssEndMB: mb(t.rssEnd),
  }
  if (args.json) console.log(JSON.stringify(result))
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

function mb(bytes: number): number {
  return Math.round(bytes / MB)
}

await main()

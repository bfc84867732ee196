/**
 * The honest peer of `npm run fuzz:node` (scripts/fuzz-node.ts), in a process of its own (so the
 * target's RSS is the target's): one node as in the README's cluster example that joins the target,
 * watches its member table for the target going failed, and pings the target with a valid ping every
 * 20 ms, counting the acks that come within 2 s. Talks to the fuzzer over IPC:
 *   ← { type: 'start', target: "ip:port", targetName }      → { type: 'ready', address }
 *   ← { type: 'stop' }                                       → { type: 'report', ... } and exits
 */
import { createSocket } from 'node:dgram'
import { ActorSystem, createSwimConfig, gossipQueue, gossipQueueConfigFor, memberManager, swim } from '../src/index.ts'
import { memberEventSink } from '../sim/member-event-sink.ts'
import { decodeDatagram } from '../actors/swim/packets.ts'
import { encodeMessage } from '../src/wire/memberlist.ts'

export interface PeerReport {
  type: 'report'
  sawFailed: boolean
  pingsSent: number
  pingsAnswered: number
  pingsLate: number
  /** When (epoch ms) the pings that got no ack within 2 s were sent (the first 1,000). */
  lostAt: number[]
  crashes: number
  escalations: number
  firstProblem: string
}

const PING_EVERY_MS = 20
const PING_ANSWER_MS = 2_000
const NAME = 'peer'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const send = (msg: unknown) => process.send?.(msg)

async function run(target: string, targetName: string): Promise<void> {
  const report: PeerReport = { type: 'report', sawFailed: false, pingsSent: 0, pingsAnswered: 0, pingsLate: 0, lostAt: [], crashes: 0, escalations: 0, firstProblem: '' }
  const system = await ActorSystem.start({ node: NAME, logLevel: 'silent' })
  system.on((e) => {
    if (e.type === 'actor.crashed') report.crashes++
    if (e.type === 'actor.escalated') report.escalations++
    if (e.type === 'actor.crashed' || e.type === 'actor.escalated') report.firstProblem ||= `${e.actor}: ${e.error.code} ${e.error.message}`
  })
  const sawFailed = (e: { type: string; event?: string; members?: Array<{ name: string }> }) => {
    if (e.type === 'member.event' && e.event === 'member-failed' && e.members?.some((m) => m.name === targetName)) report.sawFailed = true
  }
  await system.spawn(memberEventSink(sawFailed), { id: 'events', placement: 'inline' })
  const shape = { ...createSwimConfig({}, 'local'), encrypted: false }
  await system.spawn(gossipQueue, { id: 'gossip-queue', input: { config: gossipQueueConfigFor(shape) } })
  const members = await system.spawn(memberManager, { id: 'member-manager', input: { config: { nodeName: NAME }, peers: { events: 'events' } }, dependsOn: ['gossip-queue', 'events'] })
  const node = await system.spawn(swim, { id: 'swim', input: { name: NAME, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', join: [target] }, dependsOn: ['gossip-queue', 'member-manager'] })
  let address = ''
  while (address === '') {
    const { value, context } = await node.getSnapshot()
    if (value === 'failed') throw new Error(`peer: ${(context.bindError ?? context.configError)?.message}`)
    if (value === 'running') address = context.address
    else await sleep(10)
  }
  for (let i = 0; i < 500; i++) {
    const r = await members.ask({ type: 'member.members' }, { timeoutMs: 2_000 })
    if (r.members.some((m) => m.name === targetName && m.status === 'alive')) break
    await sleep(20)
  }
  const watch = setInterval(() => {
    members.ask({ type: 'member.members' }, { timeoutMs: 2_000 }).then(
      (r) => void (r.members.find((m) => m.name === targetName)?.status === 'failed' && (report.sawFailed = true)),
      () => {},
    )
  }, 500)

  const sock = createSocket('udp4')
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r))
  const pending = new Map<number, number>()
  sock.on('message', (msg) => {
    let messages
    try {
      messages = decodeDatagram(msg).messages
    } catch {
      return
    }
    for (const m of messages) {
      const at = m.type === 'ack' ? pending.get(m.SeqNo) : undefined
      if (at === undefined || m.type !== 'ack') continue
      pending.delete(m.SeqNo)
      if (Date.now() - at <= PING_ANSWER_MS) report.pingsAnswered++
      else {
        report.pingsLate++
        if (report.lostAt.length < 1_000) report.lostAt.push(at)
      }
    }
  })
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
  let seq = 1
  const pinger = setInterval(() => {
    pending.set(seq, Date.now())
    sock.send(encodeMessage({ type: 'ping', SeqNo: seq++, Node: targetName, SourceAddr: new Uint8Array(0), SourceNode: '', SourcePort: 0 }), port, host)
    report.pingsSent++
  }, PING_EVERY_MS)
  send({ type: 'ready', address })

  await new Promise<void>((resolve) => process.on('message', (m: { type?: string }) => m?.type === 'stop' && resolve()))
  clearInterval(pinger)
  await sleep(PING_ANSWER_MS)
  for (const at of pending.values()) if (report.lostAt.length < 1_000) report.lostAt.push(at)
  clearInterval(watch)
  sock.close()
  await system.shutdown({ drainTimeoutMs: 2_000 })
  send(report)
}

process.once('message', (m: { type?: string; target?: string; targetName?: string }) => {
  if (m?.type !== 'start' || typeof m.target !== 'string' || typeof m.targetName !== 'string') {
    process.exitCode = 2
    return process.disconnect?.()
  }
  run(m.target, m.targetName).then(
    () => process.disconnect?.(),
    (err: unknown) => {
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) })
      process.exitCode = 1
      process.disconnect?.()
    },
  )
})

/**
 * Ping to ack on loopback through the real actors: swim and gossip-queue each in their worker
 * thread (an ActorSystem in this process), with broadcasts pending in gossip-queue so every ack has
 * something to piggyback. This process is the peer: a UDP socket sends memberlist pings to swim,
 * one at a time, and times each until its ack arrives (process.hrtime, µs).
 *
 *   npx tsx bench/swim/ping-to-ack.ts [--pings 3000] [--warmup 300] [--pending 32] [--json]
 *
 * Prints a table; with --json one JSON object as the last line of stdout. Only public messages are
 * used (gossip.enqueue, gossip.cluster-size), so the same script measures any revision of swim.
 */
import { createSocket } from 'node:dgram'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { swim } from '../../actors/swim/definition.ts'
import { gossipQueue } from '../../actors/gossip-queue/definition.ts'
import { gossipQueueConfigFor } from '../../actors/gossip-queue/config.ts'
import { createSwimConfig } from '../../actors/swim/config.ts'
import { decodeDatagram } from '../../actors/swim/packets.ts'
import { encodeMessage } from '../../src/wire/memberlist.ts'

const argv = process.argv.slice(2)
const arg = (flag: string, dflt: number): number => {
  const i = argv.indexOf(flag)
  const v = i >= 0 ? Number(argv[i + 1]) : dflt
  if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} must be an integer >= 0`)
  return v
}
const PINGS = arg('--pings', 3000)
const WARMUP = arg('--warmup', 300)
const PENDING = arg('--pending', 32)
const NAME = 'bench-target'
/** One ping's answer may not come (a lost datagram on a loaded machine): give up on it after this. */
const ACK_TIMEOUT_MS = 2_000

const system = await ActorSystem.start({ node: NAME, logLevel: 'silent' })
const swimConfig = createSwimConfig({}, 'lan')
const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...swimConfig, encrypted: false }) } })
const ref = await system.spawn(swim, { id: 'swim', placement: 'worker', input: { name: NAME, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'lan' }, dependsOn: ['gossip-queue'] })
let address = ''
for (let i = 0; address === ''; i++) {
  const s = await ref.getSnapshot()
  if (s.value === 'failed') throw new Error(`swim failed: ${JSON.stringify(s.context.bindError ?? s.context.configError)}`)
  if (s.value === 'running') address = s.context.address
  else if (i > 500) throw new Error('swim did not start')
  else await new Promise((r) => setTimeout(r, 20))
}
const port = Number(address.split(':')[1])

// Broadcasts for every ack to carry: Serf events, transmit limit 4 × 10 (a huge Serf cluster),
// topped up as they run out.
gq.send({ type: 'gossip.cluster-size', source: 'serf', numNodes: 1_000_000_000 })
let nextEvent = 0
const topUp = (n: number): void => {
  for (let i = 0; i < n; i++) {
    const body = new Uint8Array(48).fill(nextEvent++ & 0xff)
    body[0] = 0x02 // a Serf user-event type byte: any bytes do, the queue only carries them
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-event', message: body, unique: true } })
  }
}
topUp(PENDING)
await new Promise((r) => setTimeout(r, 200))

const socket = createSocket('udp4')
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
let waiting: { seq: number; resolve: (parts: number) => void } | undefined
socket.on('message', (bytes) => {
  let messages
  try {
    messages = decodeDatagram(bytes).messages
  } catch {
    return
  }
  const ack = messages.find((m) => m.type === 'ack')
  if (ack !== undefined && waiting !== undefined && ack.SeqNo === waiting.seq) waiting.resolve(messages.length - 1)
})

const pingOnce = (seq: number): Promise<{ us: number; parts: number } | undefined> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting = undefined
      resolve(undefined)
    }, ACK_TIMEOUT_MS)
    const start = process.hrtime.bigint()
    waiting = {
      seq,
      resolve: (parts) => {
        clearTimeout(timer)
        waiting = undefined
        resolve({ us: Number(process.hrtime.bigint() - start) / 1_000, parts })
      },
    }
    socket.send(encodeMessage({ type: 'ping', SeqNo: seq, Node: NAME, SourceAddr: new Uint8Array(0), SourcePort: 0, SourceNode: '' }), port, '127.0.0.1')
  })

const samples: number[] = []
let piggybacked = 0
let lost = 0
for (let i = 0; i < WARMUP + PINGS; i++) {
  if (i % 50 === 0) topUp(PENDING / 2)
  const r = await pingOnce(i + 1)
  if (i < WARMUP) continue
  if (r === undefined) {
    lost++
    continue
  }
  samples.push(r.us)
  piggybacked += r.parts
}
socket.close()
await system.shutdown()

samples.sort((a, b) => a - b)
const q = (p: number): number => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? NaN
const round = (v: number): number => Math.round(v * 10) / 10
const result = {
  pings: PINGS,
  answered: samples.length,
  lost,
  pingToAckP50Us: round(q(0.5)),
  pingToAckP99Us: round(q(0.99)),
  pingToAckMeanUs: round(samples.reduce((s, v) => s + v, 0) / Math.max(1, samples.length)),
  piggybackedPerAck: round(piggybacked / Math.max(1, samples.length)),
}
console.log('ping to ack on loopback: swim + gossip-queue in worker threads, broadcasts pending')
console.log('| pings | answered | lost | p50 µs | p99 µs | mean µs | broadcasts per ack |')
console.log('|---:|---:|---:|---:|---:|---:|---:|')
console.log(`| ${result.pings} | ${result.answered} | ${result.lost} | ${result.pingToAckP50Us} | ${result.pingToAckP99Us} | ${result.pingToAckMeanUs} | ${result.piggybackedPerAck} |`)
if (argv.includes('--json')) console.log(JSON.stringify(result))

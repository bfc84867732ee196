/**
 * pingToAck: the latency of one memberlist ping answered by a real node, on loopback.
 *
 * The node is an ActorSystem whose swim, gossip-queue and member-manager each run in their own
 * worker thread, swim on a real UDP socket and TCP listener on 127.0.0.1 (the spawn a real node
 * does, see bench:cluster and swim's worker tests). The bench thread is the peer: it encodes a
 * ping with our wire codec (src/wire), sends it from its own UDP socket, and times until the ack
 * datagram arrives. Before each ping it enqueues one fresh broadcast in gossip-queue (an alive
 * about one of 64 made-up nodes), so broadcasts are always pending and the ack leaves as a
 * compound that piggybacks them, as in a cluster that is gossiping. Each ack is decoded and
 * checked: its sequence number, and how many broadcasts rode with it (reported, and a run whose
 * acks carried none is refused: it would time a bare ack).
 *
 * Only the actors' public surface is used (definitions, spawn input, gossip-queue's protocol), and
 * readiness is "a ping was answered", not a look at swim's context: the figure stays comparable
 * whatever swim does inside (a fill ask per packet, a pushed lease).
 */
import { createSocket, type Socket } from 'node:dgram'
import { createServer } from 'node:net'
import { ActorSystem } from '../../src/runtime/index.ts'
import { decodePacket, encodeMessage, flattenPacket } from '../../src/wire/index.ts'
import { swim } from '../../actors/swim/definition.ts'
import { createSwimConfig, type SwimInit } from '../../actors/swim/config.ts'
import { gossipQueue } from '../../actors/gossip-queue/definition.ts'
import { gossipQueueConfigFor } from '../../actors/gossip-queue/config.ts'
import { memberManager } from '../../actors/member-manager/definition.ts'

export interface PingToAckOptions {
  /** Timed pings (after the warm-up). 2,000 gives a p99 from 20 samples above it. */
  samples: number
  /** Untimed pings first (JIT, first fills/leases). */
  warmup: number
  /** A ping without its ack after this long is counted lost and the next one goes (ms). */
  timeoutMs: number
  /**
   * How the broadcasts stay pending. `per-ping`: one fresh alive enqueued right before each ping,
   * so the queue changes under every ping (the worst case for a pushed lease: a new lease races
   * each ping). `steady`: Serf events with a high transmit limit (Serf's cluster size told as
   * 10^9), topped up every 50 pings, as in a cluster that is gossiping steadily.
   */
  churn: 'per-ping' | 'steady'
}

export interface PingToAckResult {
  pingToAckP50Us: number
  pingToAckP90Us: number
  pingToAckP99Us: number
  pingToAckMaxUs: number
  /** Timed acks received. */
  samples: number
  /** Pings whose ack did not come within timeoutMs (not in the percentiles). */
  lost: number
  /** Mean broadcasts piggybacked per ack (the ack itself not counted). */
  piggybackedPerAck: number
  /** Acks that carried no broadcast. */
  bareAcks: number
}

export const DEFAULT_PING_TO_ACK: PingToAckOptions = { samples: 2_000, warmup: 300, timeoutMs: 1_000, churn: 'per-ping' }

const LOOPBACK = Uint8Array.of(127, 0, 0, 1)
const NODE = 'ping-target'
/** Names of the made-up members whose alives are enqueued (a newer alive replaces the older one). */
const BROADCAST_NAMES = 64
/**
 * Test-speed timers would only add noise: the target has no peers, so its probe and gossip ticks
 * find nobody, and nothing but the bench's pings reaches its socket.
 */
/** Serf's user-event message type byte. */
const SERF_USER_EVENT = 2
/** Broadcasts kept pending in the steady mode (half of it added every 50 pings). */
const STEADY_PENDING = 32
const SWIM_INIT: SwimInit = { probeIntervalMs: 1_000, probeTimeoutMs: 500, gossipIntervalMs: 200, pushPullIntervalMs: 0 }

/** A port free for both UDP and TCP on 127.0.0.1 (swim binds both on the same port). */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer()
      srv.once('error', reject)
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port
        srv.close(() => resolve(p))
      })
    })
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4')
      s.once('error', () => {
        s.close()
        resolve(false)
      })
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
    if (udpFree) return port
  }
  throw new Error('pingToAck: no port free for both UDP and TCP on 127.0.0.1')
}

function aliveBroadcast(i: number): Uint8Array {
  return encodeMessage({
    type: 'alive',
    Incarnation: i + 1,
    Node: `member-${i % BROADCAST_NAMES}`,
    Addr: Uint8Array.of(10, 0, (i >> 8) & 0xff, i & 0xff),
    Port: 7946,
    Meta: new Uint8Array(0),
    Vsn: Uint8Array.of(1, 5, 2, 2, 5, 4),
  })
}

/** The bench's side: one UDP socket, one ping in flight at a time. */
class Pinger {
  readonly socket: Socket = createSocket('udp4')
  port = 0
  #seq = 0
  #waiting: { seq: number; sentAt: bigint; resolve: (r: { us: number; parts: number } | undefined) => void; timer: NodeJS.Timeout } | undefined
  /** Datagrams that were not the awaited ack (late acks of lost pings, anything else). */
  stray = 0

  async open(): Promise<void> {
    this.socket.on('message', (bytes) => this.#onDatagram(bytes))
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve))
    this.port = this.socket.address().port
  }

  #onDatagram(bytes: Buffer): void {
    const at = process.hrtime.bigint()
    const w = this.#waiting
    let messages
    try {
      messages = flattenPacket(decodePacket(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length))).messages
    } catch {
      this.stray++
      return
    }
    const ack = messages.find((m) => m.type === 'ack')
    if (w === undefined || ack === undefined || ack.SeqNo !== w.seq) {
      this.stray++
      return
    }
    this.#waiting = undefined
    clearTimeout(w.timer)
    w.resolve({ us: Number(at - w.sentAt) / 1_000, parts: messages.length - 1 })
  }

  /** Sends one ping to `port`; resolves with the time to its ack (µs) and the broadcasts it carried, or undefined if lost. */
  ping(port: number, timeoutMs: number): Promise<{ us: number; parts: number } | undefined> {
    const seq = ++this.#seq
    const bytes = encodeMessage({ type: 'ping', SeqNo: seq, Node: NODE, SourceAddr: LOOPBACK, SourcePort: this.port, SourceNode: 'bench-pinger' })
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined
        resolve(undefined)
      }, timeoutMs)
      this.#waiting = { seq, sentAt: process.hrtime.bigint(), resolve, timer }
      this.socket.send(bytes, port, '127.0.0.1')
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()))
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return Number(sorted[i]!.toFixed(1))
}

export async function measurePingToAck(options: PingToAckOptions = DEFAULT_PING_TO_ACK): Promise<PingToAckResult> {
  const system = await ActorSystem.start({ node: NODE, seed: 11, logLevel: 'silent' })
  const pinger = new Pinger()
  try {
    await pinger.open()
    const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...createSwimConfig(SWIM_INIT, 'lan'), encrypted: false }) } })
    await system.spawn(memberManager, { id: 'member-manager', placement: 'worker', input: { config: { nodeName: NODE } }, dependsOn: ['gossip-queue'] })
    const port = await freePort()
    await system.spawn(swim, {
      id: 'swim',
      placement: 'worker',
      input: { name: NODE, addr: LOOPBACK, port, preset: 'lan', config: SWIM_INIT, join: [] },
      dependsOn: ['gossip-queue', 'member-manager'],
    })
    // Ready once a ping is answered (the socket is bound in swim's first turns).
    const deadline = Date.now() + 30_000
    while ((await pinger.ping(port, 200)) === undefined) {
      if (Date.now() > deadline) throw new Error('pingToAck: swim never answered a ping within 30 s')
    }
    let enqueued = 0
    const topUp = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const body = new Uint8Array(48).fill(enqueued++ & 0xff)
        body[0] = SERF_USER_EVENT // the queue carries any bytes; a user event's type byte for realism
        gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-event', message: body, unique: true } })
      }
    }
    if (options.churn === 'steady') {
      gq.send({ type: 'gossip.cluster-size', source: 'serf', numNodes: 1_000_000_000 })
      topUp(STEADY_PENDING)
    }
    let sent = 0
    const round = async (n: number, record: (r: { us: number; parts: number } | undefined) => void): Promise<void> => {
      for (let i = 0; i < n; i++) {
        if (options.churn === 'per-ping') {
          // A fresh broadcast before each ping: the queue is never empty when the ping arrives.
          gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: aliveBroadcast(enqueued), name: `member-${enqueued % BROADCAST_NAMES}` } })
          enqueued++
        } else if (++sent % 50 === 0) topUp(STEADY_PENDING / 2)
        record(await pinger.ping(port, options.timeoutMs))
      }
    }
    await round(options.warmup, () => {})
    const times: number[] = []
    let lost = 0
    let parts = 0
    let bare = 0
    await round(options.samples, (r) => {
      if (r === undefined) {
        lost++
        return
      }
      times.push(r.us)
      parts += r.parts
      if (r.parts === 0) bare++
    })
    times.sort((a, b) => a - b)
    if (times.length > 0 && bare === times.length) throw new Error('pingToAck: no ack carried a broadcast: the bench would time bare acks')
    return {
      pingToAckP50Us: percentile(times, 50),
      pingToAckP90Us: percentile(times, 90),
      pingToAckP99Us: percentile(times, 99),
      pingToAckMaxUs: percentile(times, 100),
      samples: times.length,
      lost,
      piggybackedPerAck: times.length === 0 ? 0 : Number((parts / times.length).toFixed(2)),
      bareAcks: bare,
    }
  } finally {
    await pinger.close()
    await system.shutdown({ drainTimeoutMs: 2_000 })
  }
}

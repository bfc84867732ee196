/**
 * swim's inbound stream limits (issue 10, item 7), on the memory network with a simulated clock:
 * - a stream whose framing declares more than the byte cap (an encrypted length prefix of 4 GiB, a
 *   push/pull header) is refused at once, not held until its tcpTimeoutMs deadline;
 * - all inbound reads together hold at most config.streamBufferBudgetBytes, however many streams
 *   send without end; the reads past it are refused and counted;
 * - every refusal is counted with its code in the node's counters, and the refusals at accept (the
 *   transport's inbound stream cap, config.maxInboundStreams) in swim's context.
 */
import { describe, expect, it } from 'vitest'
import { testConfig } from '../../../actors/swim/config.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { encodePushPullStream } from '../../../actors/swim/packets.ts'
import { MAX_INBOUND_PUSH_PULLS } from '../../../actors/swim/push-pull.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import type { Stream } from '../../../src/transport/transport.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { streamNode } from './support/stream-node.ts'
import { simNodes } from './support/sim-nodes.ts'
import { until } from './support/worker-cluster.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { swim as swimDefinition } from '../../../actors/swim/definition.ts'
import { nodeSwimIo } from '../../../actors/swim/io/node-net.ts'
import type { StreamLimits } from '../../../src/transport/transport.ts'
import { parseAddress } from '../../../src/transport/transport.ts'
import { connect } from 'node:net'
import type { Socket } from 'node:net'

const KEY = new Uint8Array(16).fill(3)

/** One swim node at 10.0.0.1 and a way to open raw streams to it from other addresses. */
function world(init: SwimInit = {}) {
  const clock = new SimulatedClock()
  const random = createSeededRandom(21)
  const net = new MemoryNetwork({ clock, random })
  const config = testConfig(init)
  const { swim, transport } = streamNode({ net, clock, random, config, ip: 1, name: 'a', limits: { maxInboundStreams: 1024 } })
  let nextPeer = 0
  /** Opens `n` streams from fresh addresses; each records how it ended. */
  const open = (n: number) => {
    const out: Array<{ stream: Stream; end: string | undefined }> = []
    for (let i = 0; i < n; i++) {
      const peer = net.createTransport(`10.1.${Math.floor(nextPeer / 250)}.${(nextPeer++ % 250) + 1}:7946`)
      peer.dialCallback(transport.localAddress, 1000, (_e, s) => {
        const rec = { stream: s!, end: undefined as string | undefined }
        s!.onData(() => {})
        s!.onEnd((e) => (rec.end = e?.code ?? 'clean'))
        out.push(rec)
      })
    }
    clock.advanceSync(5)
    expect(out.length).toBe(n)
    return out
  }
  return { clock, config, transport, swim, open }
}

describe('inbound streams that declare more than the cap', () => {
  it('refuses an encrypted stream whose length prefix claims 4 GiB at once, not at the deadline', () => {
    const w = world({ keys: [KEY] })
    const [peer] = w.open(1)
    peer!.stream.write(Uint8Array.of(10, 0xff, 0xff, 0xff, 0xff))
    w.clock.advanceSync(5) // far below the deadline (tcpTimeoutMs = 200 ms at the test preset)
    expect(w.config.tcpTimeoutMs).toBe(200)
    expect(peer!.end).toBe('ERR_TRANSPORT_CLOSED')
    expect(w.swim.counters).toMatchObject({ streamsDeclaredTooLarge: 1, streamsTooLarge: 0, inboundStreamsTimedOut: 0, lastStreamErrorCode: 'ERR_TRANSPORT_TOO_LARGE' })
    expect(w.transport.streamCounters()).toMatchObject({ inboundOpen: 0, deadlinesExpired: 0 })
    expect(w.swim.pushPull.inboundBudget.usedBytes).toBe(0)
  })

  it('refuses a plaintext push/pull whose header declares a user state past the cap, from the header alone', () => {
    const w = world()
    const [peer] = w.open(1)
    const userLen = 21 * 1024 * 1024
    const full = encodePushPullStream(false, [], new Uint8Array(userLen), false)
    peer!.stream.write(full.subarray(0, full.length - userLen)) // the header, none of the user state
    w.clock.advanceSync(5)
    expect(peer!.end).toBe('ERR_TRANSPORT_CLOSED')
    expect(w.swim.counters).toMatchObject({ streamsDeclaredTooLarge: 1, pushPullsAccepted: 0 })
  })
})

describe('the inbound stream byte budget', () => {
  it(`holds at most streamBufferBudgetBytes while ${MAX_INBOUND_PUSH_PULLS} streams send without end; the reads past it are refused, counted`, () => {
    const budget = 1 << 20
    const w = world({ streamBufferBudgetBytes: budget })
    const peers = w.open(MAX_INBOUND_PUSH_PULLS)
    // Each declares a 10 MiB user state (under the 20 MiB cap) and sends it 64 KiB at a time.
    const userLen = 10 * 1024 * 1024
    const full = encodePushPullStream(false, [], new Uint8Array(userLen), false)
    const header = full.subarray(0, full.length - userLen)
    for (const p of peers) p.stream.write(header)
    const chunk = new Uint8Array(64 * 1024)
    let peak = 0
    let sent = 0
    for (let round = 0; round < 24; round++) {
      for (const p of peers) if (p.stream.write(chunk)) sent += chunk.length
      w.clock.advanceSync(1)
      peak = Math.max(peak, w.swim.pushPull.inboundBudget.usedBytes)
    }
    // Without the budget each open stream kept what it received (up to 20 MiB each): tens of MiB here.
    expect(sent).toBeGreaterThan(8 * budget)
    expect(peak).toBeLessThanOrEqual(budget)
    expect(w.swim.pushPull.inboundBudget.peakBytes).toBeLessThanOrEqual(budget)
    const refused = peers.filter((p) => p.end === 'ERR_TRANSPORT_CLOSED').length
    expect(refused).toBeGreaterThan(0)
    expect(w.swim.counters).toMatchObject({ streamsOverBudget: refused, lastStreamErrorCode: 'ERR_TRANSPORT_BUDGET', pushPullsAccepted: 0 })
    // At the deadline the rest end too, and every byte held goes back to the budget.
    w.clock.advanceSync(w.config.tcpTimeoutMs)
    expect(w.transport.streamCounters().inboundOpen).toBe(0)
    expect(w.swim.pushPull.inboundBudget.usedBytes).toBe(0)
  })

  it('gives a handled push/pull its bytes back, so the budget serves one message after another', () => {
    const w = world({ streamBufferBudgetBytes: 1 << 20 })
    const request = encodePushPullStream(false, [], new Uint8Array(700 * 1024).fill(1), false)
    for (let i = 0; i < 5; i++) {
      const [peer] = w.open(1)
      peer!.stream.write(request)
      w.clock.advanceSync(5)
      expect(peer!.end).toBe('clean') // answered: 700 KiB fit, 5 × 700 KiB would not at once
      expect(w.swim.pushPull.inboundBudget.usedBytes).toBe(0)
    }
    expect(w.swim.counters).toMatchObject({ pushPullsAccepted: 5, streamsOverBudget: 0 })
  })
})

describe("the transport's stream limits, from swim's config and in swim's context", () => {
  it('opens the transport with config.maxInboundStreams and streamIdleTimeoutMs, and shows refusals at accept in the context', async () => {
    const nodes = simNodes(12)
    try {
      const asked: StreamLimits[] = []
      const n1 = await nodes.spawn('n1', 1, { config: { maxInboundStreams: 2, streamIdleTimeoutMs: 5_000 } }, {
        open: (at, limits) => {
          asked.push(limits)
          return nodes.net.createTransport(at, limits)
        },
      })
      await nodes.clock.advanceSync(50)
      expect(asked).toEqual([{ idleTimeoutMs: 5_000, maxInboundStreams: 2 }])
      // Five idle connections: two are taken (and cut at swim's 200 ms deadline), three refused at accept.
      for (let i = 0; i < 5; i++) nodes.net.createTransport(`10.0.9.${i + 1}:7946`).dialCallback('10.0.0.1:7946', 1_000, (_e, s) => s?.onData(() => {}))
      expect((await nodes.context(n1, 110)).streams).toMatchObject({ refusedAtAccept: 3, inboundOpen: 2, deadlinesExpired: 0 })
      expect((await nodes.context(n1, 300)).streams).toMatchObject({ refusedAtAccept: 3, inboundOpen: 0, deadlinesExpired: 2, bufferedBytes: 0 })
    } finally {
      await nodes.close()
    }
  })

  it('on real sockets: NetTransport refuses past config.maxInboundStreams and swim counts it', async () => {
    const system = await ActorSystem.start({ logLevel: 'silent' })
    const sockets: Socket[] = []
    try {
      const ref = await system.spawn(swimDefinition, {
        id: 'swim',
        placement: 'inline',
        input: { name: 'real', addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'test', config: { maxInboundStreams: 2, tcpTimeoutMs: 5_000 } },
        ...nodeSwimIo(),
      })
      const address = await until('swim running', async () => {
        const s = await ref.getSnapshot()
        return s.value === 'running' ? s.context.address : undefined
      }, 10_000)
      const { port } = parseAddress(address)
      for (let i = 0; i < 6; i++) {
        const c = connect({ host: '127.0.0.1', port })
        c.on('error', () => {})
        sockets.push(c)
      }
      const streams = await until('four refusals counted', async () => {
        const s = (await ref.getSnapshot()).context.streams
        return s.refusedAtAccept === 4 ? s : undefined
      }, 10_000)
      expect(streams.inboundOpen).toBe(2)
    } finally {
      for (const c of sockets) c.destroy()
      await system.shutdown({ drainTimeoutMs: 2_000 })
    }
  })
})

/**
 * swim's inbound stream limits (issue 10, item 7), on the memory network with a simulated clock:
 * - a stream whose framing declares more than the byte cap (an encrypted length prefix of 4 GiB, a
 *   push/pull header) is refused at once, not held until its tcpTimeoutMs deadline;
 * - all inbound reads together hold at most config.streamBufferBudgetBytes, however many streams
 *   send without end; the reads past it are refused and counted;
 * - every refusal is counted with its code in the node's counters.
 */
import { describe, expect, it } from 'vitest'
import { testConfig } from '../../../actors/swim/config.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { encodePushPullStream } from '../../../actors/swim/packets.ts'
import type { SwimPorts } from '../../../actors/swim/ports.ts'
import { MAX_INBOUND_PUSH_PULLS } from '../../../actors/swim/push-pull.ts'
import { SwimNode } from '../../../actors/swim/swim-node.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import type { Stream } from '../../../src/transport/transport.ts'
import { SimClock } from '../../../src/sim/sim-clock.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { keyedTimers } from './support/keyed-timers.ts'

const KEY = new Uint8Array(16).fill(3)

/** One swim node at 10.0.0.1 and a way to open raw streams to it from other addresses. */
function world(init: SwimInit = {}) {
  const clock = new SimClock()
  const random = createSeededRandom(21)
  const net = new MemoryNetwork({ clock, random })
  const config = testConfig(init)
  const transport = net.createTransport('10.0.0.1:7946', { maxInboundStreams: 1024 })
  const timers = keyedTimers(clock, (key) => swim.onTimer(key))
  const ports: SwimPorts = {
    now: () => clock.now(),
    random: () => random.next(),
    setTimer: timers.setTimer,
    cancelTimer: timers.cancelTimer,
    sendPacket: () => {},
    enqueueBroadcast: () => {},
    dial: (to, ms, cb) => transport.dialCallback(to, ms, cb),
    localUserState: (_join, cb) => cb(new Uint8Array(0)),
    mergeRemoteUserState: () => {},
    emit: () => {},
  }
  const swim: SwimNode = new SwimNode(config, { name: 'a', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 }, ports)
  transport.onStream((s) => swim.onStream(s))
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
    clock.advance(5)
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
    w.clock.advance(5) // far below the deadline (tcpTimeoutMs = 200 ms at the test preset)
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
    w.clock.advance(5)
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
      w.clock.advance(1)
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
    w.clock.advance(w.config.tcpTimeoutMs)
    expect(w.transport.streamCounters().inboundOpen).toBe(0)
    expect(w.swim.pushPull.inboundBudget.usedBytes).toBe(0)
  })

  it('gives a handled push/pull its bytes back, so the budget serves one message after another', () => {
    const w = world({ streamBufferBudgetBytes: 1 << 20 })
    const request = encodePushPullStream(false, [], new Uint8Array(700 * 1024).fill(1), false)
    for (let i = 0; i < 5; i++) {
      const [peer] = w.open(1)
      peer!.stream.write(request)
      w.clock.advance(5)
      expect(peer!.end).toBe('clean') // answered: 700 KiB fit, 5 × 700 KiB would not at once
      expect(w.swim.pushPull.inboundBudget.usedBytes).toBe(0)
    }
    expect(w.swim.counters).toMatchObject({ pushPullsAccepted: 5, streamsOverBudget: 0 })
  })
})

/**
 * One suite run against every Transport implementation (libp2p's interface-compliance idea): the
 * in-memory network on a simulated clock, and real UDP/TCP sockets on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../../src/transport/memory-network.ts'
import { NetTransport } from '../../src/transport/net-transport.ts'
import type { InboundPacket, Stream, StreamCounters, StreamLimits } from '../../src/transport/transport.ts'
import { createStreamLimits, DEFAULT_STREAM_LIMITS } from '../../src/transport/transport.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../src/types/random.ts'

type DialCallback = (to: string, timeoutMs: number, cb: (err: unknown, s?: Stream) => void) => void
interface Endpoint {
  localAddress: string
  sendPacket(to: string, bytes: Uint8Array): unknown
  onPacket(h: (p: InboundPacket) => void): void
  onStream(h: (s: Stream) => void): void
  dialCallback: DialCallback
  close(): void
  streamCounters(): StreamCounters
}
interface Setup {
  a: Endpoint
  b: Endpoint
  /** Lets time pass until `pred` holds (simulated or real). */
  until(pred: () => boolean, ms?: number): Promise<boolean>
  /** The setup's clock (simulated, or real monotonic), ms. */
  now(): number
  teardown(): void
}

/** Polls `pred` every 5 ms for up to `ms` of real time. */
async function realUntil(pred: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 5))
  }
  return true
}

const setups: Record<string, (limits?: Partial<StreamLimits>) => Promise<Setup>> = {
  memory: async (limits) => {
    const clock = new SimulatedClock()
    const net = new MemoryNetwork({ clock, random: createSeededRandom(1) })
    const a = net.createTransport('10.9.0.1:7946', limits)
    const b = net.createTransport('10.9.0.2:7946', limits)
    return {
      a,
      b,
      until: async (pred, ms = 1000) => clock.runUntilTrue(pred, clock.now() + ms) !== undefined,
      now: () => clock.now(),
      teardown: () => {
        a.close()
        b.close()
      },
    }
  },
  'udp/tcp': async (limits) => {
    const a = await NetTransport.listen('127.0.0.1', 0, limits)
    const b = await NetTransport.listen('127.0.0.1', 0, limits)
    return {
      a,
      b,
      until: realUntil,
      now: () => performance.now(),
      teardown: () => {
        a.close()
        b.close()
      },
    }
  },
}

/** Whether this machine has an IPv6 loopback (containers sometimes don't): probed once, by binding it. */
async function hasIpv6Loopback(): Promise<boolean> {
  try {
    ;(await NetTransport.listen('::1', 0)).close()
    return true
  } catch {
    return false
  }
}
const IPV6 = await hasIpv6Loopback()
if (IPV6) {
  setups['udp6/tcp6'] = async (limits) => {
    const a = await NetTransport.listen('::1', 0, limits)
    const b = await NetTransport.listen('::1', 0, limits)
    return { a, b, until: realUntil, now: () => performance.now(), teardown: () => (a.close(), b.close()) }
  }
}

let current: Setup | undefined
afterEach(() => {
  current?.teardown()
  current = undefined
})

describe.each(Object.keys(setups))('Transport compliance: %s', (kind) => {
  it('delivers a datagram with the sender address', async () => {
    current = await setups[kind]!()
    const { a, b } = current
    const got: InboundPacket[] = []
    b.onPacket((p) => got.push(p))
    a.sendPacket(b.localAddress, Uint8Array.of(7, 8, 9))
    expect(await current.until(() => got.length === 1)).toBe(true)
    expect([...got[0]!.bytes]).toEqual([7, 8, 9])
    expect(got[0]!.from).toBe(a.localAddress)
  })

  it('carries a request and a reply over one stream, in order, across chunks', async () => {
    current = await setups[kind]!()
    const { a, b } = current
    b.onStream((s) => {
      const buf: number[] = []
      s.onData((c) => {
        buf.push(...c)
        if (buf.length === 4) {
          s.write(Uint8Array.from(buf.reverse()))
          s.end()
        }
      })
      s.onEnd(() => {})
    })
    const reply: number[] = []
    let ended = false
    a.dialCallback(b.localAddress, 1000, (err, s) => {
      expect(err).toBeUndefined()
      s!.onData((c) => reply.push(...c))
      s!.onEnd(() => (ended = true))
      s!.write(Uint8Array.of(1, 2))
      s!.write(Uint8Array.of(3, 4))
    })
    expect(await current.until(() => ended)).toBe(true)
    expect(reply).toEqual([4, 3, 2, 1])
  })

  it('hands an end that came before onEnd was set to the handler when it is set', async () => {
    current = await setups[kind]!()
    const { a, b } = current
    let accepted: Stream | undefined
    const got: number[] = []
    b.onStream((s) => {
      accepted = s
      s.onData((c) => got.push(...c)) // data first, the end handler later (as readers may do)
    })
    a.dialCallback(b.localAddress, 1000, (_err, s) => {
      s!.write(Uint8Array.of(7, 8))
      s!.end()
    })
    // Let the bytes and the peer's end arrive before anyone listens for the end.
    expect(await current.until(() => got.length === 2)).toBe(true)
    await current.until(() => false, 50)
    let ended: string | undefined
    accepted!.onEnd((err) => (ended = err?.code ?? 'clean'))
    expect(await current.until(() => ended !== undefined)).toBe(true)
    expect(ended).toBe('clean')
  })

  it('fails a dial to an address nobody listens on as refused (ERR_TRANSPORT_REFUSED, not a timeout)', async () => {
    current = await setups[kind]!()
    const { a } = current
    let error: { code?: string } | undefined
    const to = kind === 'memory' ? '10.9.0.99:7946' : '127.0.0.1:1'
    a.dialCallback(to, 500, (err) => (error = err as { code?: string }))
    expect(await current.until(() => error !== undefined)).toBe(true)
    expect(error?.code).toBe('ERR_TRANSPORT_REFUSED')
  })

  it('aborts a stream at its deadline: ERR_TRANSPORT_TIMEOUT here, a close at the peer, counted', async () => {
    current = await setups[kind]!()
    const { a, b } = current
    let serverEnd: { code?: string } | 'clean' | undefined
    b.onStream((s) => {
      s.onData(() => {})
      s.onEnd((err) => (serverEnd = err ?? 'clean'))
    })
    let clientEnd: { code?: string } | 'clean' | undefined
    a.dialCallback(b.localAddress, 1000, (err, s) => {
      expect(err).toBeUndefined()
      s!.onData(() => {})
      s!.onEnd((e) => (clientEnd = e ?? 'clean'))
      s!.write(Uint8Array.of(1))
      s!.setDeadline(150)
    })
    expect(await current.until(() => clientEnd !== undefined && serverEnd !== undefined)).toBe(true)
    expect((clientEnd as { code?: string }).code).toBe('ERR_TRANSPORT_TIMEOUT')
    expect(a.streamCounters().deadlinesExpired).toBe(1)
    expect(b.streamCounters().deadlinesExpired).toBe(0)
    expect(await current.until(() => b.streamCounters().inboundOpen === 0)).toBe(true)
  })

  it('closes a stream idle past idleTimeoutMs and counts it; traffic keeps a stream open', async () => {
    // Simulated clock: 300 ms, exactly. Real sockets: 1 s, far above the event-loop stalls of a
    // loaded machine, with writes 20 times as often; no upper bound on when a timer fires is asserted.
    const idleMs = kind === 'memory' ? 300 : 1_000
    const writeEveryMs = idleMs / 20
    current = await setups[kind]!({ idleTimeoutMs: idleMs })
    const { a, b, now } = current
    const ends: Record<string, { code?: string } | 'clean'> = {}
    const endedAt: Record<string, number> = {}
    let serverEnds = 0
    b.onStream((s) => {
      s.onData(() => {})
      s.onEnd(() => serverEnds++)
    })
    const opened = now() // before the dials: no stream's idle timer starts earlier
    const streams: Stream[] = []
    for (let i = 0; i < 2; i++) {
      a.dialCallback(b.localAddress, 1000, (err, s) => {
        expect(err).toBeUndefined()
        s!.onData(() => {})
        s!.onEnd((e) => {
          ends[`client:${i}`] = e ?? 'clean'
          endedAt[`client:${i}`] = now()
        })
        streams[i] = s!
      })
    }
    expect(await current.until(() => streams.length === 2 && b.streamCounters().inboundOpen === 2)).toBe(true)

    // Stream 1 writes every writeEveryMs until stream 0 (silent) has closed at both ends and two idle
    // periods have passed since the dials; the longest real gap between its writes is kept.
    let lastWrite = now()
    let longestGap = 0
    const silentClosed = () => ends['client:0'] !== undefined && b.streamCounters().inboundOpen === 1
    for (let t = 0; !(silentClosed() && now() - opened >= 2 * idleMs); t++) {
      // The silent stream never closed, or the busy one did: asserted below.
      if (now() - opened > idleMs + 5_000 || ends['client:1'] !== undefined) break
      streams[1]!.write(Uint8Array.of(t & 0xff))
      longestGap = Math.max(longestGap, now() - lastWrite)
      lastWrite = now()
      await current.until(() => false, writeEveryMs)
    }
    const stalls = `longest gap between stream 1's writes ${Math.round(longestGap)} ms`
    // The stream with traffic outlived two idle periods, open at both ends.
    expect(ends['client:1'], stalls).toBeUndefined()
    expect(now() - opened).toBeGreaterThanOrEqual(2 * idleMs)
    expect(ends['client:0'], 'the silent stream closed').toBeDefined()
    // Not before its timeout (2 ms of slack: Node's timers count whole ms of the loop's clock).
    expect(endedAt['client:0']! - opened).toBeGreaterThanOrEqual(idleMs - 2)
    // Whichever side's idle timer fires first aborts (ERR_TRANSPORT_IDLE there); the other sees a close.
    const idleOfSilent = a.streamCounters().idleTimeouts + b.streamCounters().idleTimeouts
    expect(idleOfSilent).toBeGreaterThanOrEqual(1)
    expect(idleOfSilent).toBeLessThanOrEqual(2)
    if (a.streamCounters().idleTimeouts === 1 && b.streamCounters().idleTimeouts === 0) expect(ends['client:0']).toMatchObject({ code: 'ERR_TRANSPORT_IDLE' })
    expect(b.streamCounters().inboundOpen, stalls).toBe(1)
    expect(serverEnds).toBe(1)

    // Silent from here, it closes too: an idle period after its last write, not before.
    const quietFrom = lastWrite
    expect(await current.until(() => ends['client:1'] !== undefined && b.streamCounters().inboundOpen === 0, idleMs + 5_000)).toBe(true)
    expect(endedAt['client:1']! - quietFrom).toBeGreaterThanOrEqual(idleMs - 2)
    const idleOfBoth = a.streamCounters().idleTimeouts + b.streamCounters().idleTimeouts
    expect(idleOfBoth - idleOfSilent).toBeGreaterThanOrEqual(1)
    expect(idleOfBoth - idleOfSilent).toBeLessThanOrEqual(2)
  })

  it('refuses inbound streams past maxInboundStreams, counted, and accepts again once one closes', async () => {
    current = await setups[kind]!({ maxInboundStreams: 2 })
    const { a, b } = current
    const accepted: Stream[] = []
    b.onStream((s) => {
      s.onData(() => {})
      s.onEnd(() => {})
      accepted.push(s)
    })
    const clientEnded: boolean[] = []
    const dial = (i: number) =>
      a.dialCallback(b.localAddress, 1000, (err, s) => {
        if (err !== undefined) return void (clientEnded[i] = true)
        s!.onData(() => {})
        s!.onEnd(() => (clientEnded[i] = true))
      })
    dial(0)
    expect(await current.until(() => accepted.length === 1)).toBe(true)
    dial(1)
    expect(await current.until(() => accepted.length === 2)).toBe(true)
    dial(2)
    expect(await current.until(() => clientEnded[2] === true)).toBe(true)
    expect(accepted.length).toBe(2)
    expect(b.streamCounters()).toMatchObject({ inboundRefused: 1, inboundOpen: 2 })
    accepted[0]!.close()
    expect(await current.until(() => b.streamCounters().inboundOpen === 1)).toBe(true)
    dial(3)
    expect(await current.until(() => accepted.length === 3)).toBe(true)
    expect(b.streamCounters()).toMatchObject({ inboundRefused: 1, inboundOpen: 2 })
  })
})

describe('createStreamLimits', () => {
  it('fills defaults and names the field it refuses', () => {
    expect(createStreamLimits({ idleTimeoutMs: 5 })).toEqual({ ...DEFAULT_STREAM_LIMITS, idleTimeoutMs: 5 })
    expect(() => createStreamLimits({ idleTimeoutMs: 0 })).toThrow(/transport\.idleTimeoutMs/)
    expect(() => createStreamLimits({ maxInboundStreams: 1.5 })).toThrow(/transport\.maxInboundStreams/)
  })
})

describe('NetTransport address families', () => {
  it(IPV6 ? 'binds [::1] and reports [ip]:port for itself, packet senders and stream ends' : 'refuses an IPv6 bind with a coded error where ::1 is absent', async () => {
    if (!IPV6) {
      await expect(NetTransport.listen('::1', 0)).rejects.toMatchObject({ code: 'ERR_TRANSPORT_ADDRESS' })
      return
    }
    const a = await NetTransport.listen('::1', 0)
    const b = await NetTransport.listen('::1', 0)
    try {
      expect(a.localAddress).toMatch(/^\[::1\]:\d+$/)
      let remote: string | undefined
      b.onStream((s) => {
        remote = s.remote
        s.close()
      })
      const s = await a.dial(b.localAddress, 1000)
      s.onEnd(() => {})
      const deadline = Date.now() + 2000
      while (remote === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      expect(remote).toMatch(/^\[::1\]:\d+$/)
      expect(s.local).toBe(remote)
      // An IPv4 destination from a socket bound to ::1 cannot go out: counted, not thrown.
      expect(a.sendPacket('127.0.0.1:9', Uint8Array.of(1))).toBe('sent')
      while (a.stats.sendErrors === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      expect(a.stats.sendErrors).toBe(1)
    } finally {
      a.close()
      b.close()
    }
  })
})

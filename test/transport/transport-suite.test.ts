/**
 * One suite run against every Transport implementation (libp2p's interface-compliance idea): the
 * in-memory network on a simulated clock, and real UDP/TCP sockets on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../../src/transport/memory-network.ts'
import { NetTransport } from '../../src/transport/net-transport.ts'
import type { InboundPacket, Stream } from '../../src/transport/transport.ts'
import { SimClock } from '../../src/sim/sim-clock.ts'
import { createSeededRandom } from '../../src/types/random.ts'

type DialCallback = (to: string, timeoutMs: number, cb: (err: unknown, s?: Stream) => void) => void
interface Endpoint {
  localAddress: string
  sendPacket(to: string, bytes: Uint8Array): unknown
  onPacket(h: (p: InboundPacket) => void): void
  onStream(h: (s: Stream) => void): void
  dialCallback: DialCallback
  close(): void
}
interface Setup {
  a: Endpoint
  b: Endpoint
  /** Lets time pass until `pred` holds (simulated or real). */
  until(pred: () => boolean, ms?: number): Promise<boolean>
  teardown(): void
}

const setups: Record<string, () => Promise<Setup>> = {
  memory: async () => {
    const clock = new SimClock()
    const net = new MemoryNetwork({ clock, random: createSeededRandom(1) })
    const a = net.createTransport('10.9.0.1:7946')
    const b = net.createTransport('10.9.0.2:7946')
    return {
      a,
      b,
      until: async (pred, ms = 1000) => clock.runUntilTrue(pred, clock.now() + ms) !== undefined,
      teardown: () => {
        a.close()
        b.close()
      },
    }
  },
  'udp/tcp': async () => {
    const a = await NetTransport.listen('127.0.0.1', 0)
    const b = await NetTransport.listen('127.0.0.1', 0)
    return {
      a,
      b,
      until: async (pred, ms = 2000) => {
        const end = Date.now() + ms
        while (!pred()) {
          if (Date.now() > end) return false
          await new Promise((r) => setTimeout(r, 5))
        }
        return true
      },
      teardown: () => {
        a.close()
        b.close()
      },
    }
  },
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

  it('fails a dial to an address nobody listens on', async () => {
    current = await setups[kind]!()
    const { a } = current
    let error: { code?: string } | undefined
    const to = kind === 'memory' ? '10.9.0.99:7946' : '127.0.0.1:1'
    a.dialCallback(to, 500, (err) => (error = err as { code?: string }))
    expect(await current.until(() => error !== undefined)).toBe(true)
    expect(error?.code).toBe('ERR_TRANSPORT_DIAL')
  })
})

import { describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../../src/transport/memory-network.ts'
import type { NetworkTraceEvent } from '../../src/transport/memory-network.ts'
import type { InboundPacket, Stream } from '../../src/transport/transport.ts'
import { formatAddress, ipv4Bytes, parseAddress } from '../../src/transport/transport.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'

function rng(seed: number) {
  let s = seed >>> 0
  return { next: () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) }
}

function setup(seed = 1, opts: { loss?: number; mtu?: number; latencyMs?: number; trace?: (e: NetworkTraceEvent) => void } = {}) {
  const clock = new SimulatedClock()
  const netOpts: ConstructorParameters<typeof MemoryNetwork>[0] = { clock, random: rng(seed), defaultLink: { latencyMs: opts.latencyMs ?? 5, loss: opts.loss ?? 0 } }
  if (opts.mtu !== undefined) netOpts.mtu = opts.mtu
  if (opts.trace !== undefined) netOpts.trace = opts.trace
  const net = new MemoryNetwork(netOpts)
  const a = net.createTransport('10.0.0.1:7946')
  const b = net.createTransport('10.0.0.2:7946')
  const got: InboundPacket[] = []
  b.onPacket((p) => got.push(p))
  return { clock, net, a, b, got }
}

describe('MemoryNetwork packets', () => {
  it('delivers a copy after the link latency, with from/to and counters', () => {
    const { clock, net, a, got } = setup()
    const bytes = Uint8Array.of(1, 2, 3)
    expect(a.sendPacket('10.0.0.2:7946', bytes)).toBe('sent')
    bytes[0] = 9
    clock.advanceSync(4)
    expect(got).toHaveLength(0)
    clock.advanceSync(1)
    expect(got).toHaveLength(1)
    expect(got[0]).toMatchObject({ from: '10.0.0.1:7946', to: '10.0.0.2:7946', receivedAtMs: 5 })
    expect([...got[0]!.bytes]).toEqual([1, 2, 3])
    expect(net.stats()).toMatchObject({ packetsSent: 1, bytesSent: 3, packetsDelivered: 1, bytesDelivered: 3 })
    expect(net.endpointStats('10.0.0.2:7946')).toMatchObject({ packetsReceived: 1, bytesReceived: 3 })
  })

  it('refuses packets over the MTU and counts them', () => {
    const { clock, net, a, got } = setup(1, { mtu: 100 })
    expect(a.sendPacket('10.0.0.2:7946', new Uint8Array(101))).toBe('too-large')
    clock.advanceSync(10)
    expect(got).toHaveLength(0)
    expect(net.stats().dropped.mtu).toBe(1)
  })

  it('loses about the configured fraction', () => {
    const { clock, net, a, got } = setup(3, { loss: 0.3 })
    for (let i = 0; i < 2000; i++) a.sendPacket('10.0.0.2:7946', Uint8Array.of(i & 255))
    clock.advanceSync(10)
    expect(got.length).toBeGreaterThan(2000 * 0.65)
    expect(got.length).toBeLessThan(2000 * 0.75)
    expect(net.stats().dropped.loss + got.length).toBe(2000)
  })

  it('partitions and heals', () => {
    const { clock, net, a, got } = setup()
    net.partition(['10.0.0.1:7946'], ['10.0.0.2:7946'])
    a.sendPacket('10.0.0.2:7946', Uint8Array.of(1))
    clock.advanceSync(10)
    expect(got).toHaveLength(0)
    expect(net.stats().dropped.partition).toBe(1)
    net.heal()
    a.sendPacket('10.0.0.2:7946', Uint8Array.of(1))
    clock.advanceSync(10)
    expect(got).toHaveLength(1)
  })

  it('drops packets to a host that is down and delays a slow node', () => {
    const { clock, net, a, got } = setup()
    net.setDown('10.0.0.2:7946')
    a.sendPacket('10.0.0.2:7946', Uint8Array.of(1))
    clock.advanceSync(10)
    expect(net.stats().dropped.down).toBe(1)
    net.setDown('10.0.0.2:7946', false)
    net.setNodeDelay('10.0.0.2:7946', 100)
    a.sendPacket('10.0.0.2:7946', Uint8Array.of(1))
    clock.advanceSync(104)
    expect(got).toHaveLength(0)
    clock.advanceSync(1)
    expect(got).toHaveLength(1)
  })

  it('gives the same trace for the same seed', () => {
    const run = (seed: number) => {
      const trace: string[] = []
      const { clock, a, b } = setup(seed, { loss: 0.5, trace: (e) => trace.push(`${e.atMs}:${e.kind}:${e.from}>${e.to}:${e.reason ?? ''}`) })
      b.onPacket(() => {})
      for (let i = 0; i < 200; i++) (i % 2 ? a : b).sendPacket(i % 2 ? '10.0.0.2:7946' : '10.0.0.1:7946', Uint8Array.of(i & 255))
      clock.advanceSync(20)
      return trace.join('\n')
    }
    expect(run(11)).toBe(run(11))
    expect(run(11)).not.toBe(run(12))
  })
})

describe('MemoryNetwork streams', () => {
  it('carries bytes both ways in order, with half-close', () => {
    const { clock, net, a, b } = setup()
    const serverGot: number[] = []
    const clientGot: number[] = []
    b.onStream((s: Stream) => {
      s.onData((c) => serverGot.push(...c))
      s.onEnd(() => {
        s.write(Uint8Array.of(9, 9))
        s.end()
      })
    })
    let ended = false
    a.dialCallback('10.0.0.2:7946', 1000, (err, s) => {
      expect(err).toBeUndefined()
      s!.onData((c) => clientGot.push(...c))
      s!.onEnd(() => (ended = true))
      s!.write(Uint8Array.of(1, 2))
      s!.write(Uint8Array.of(3))
      s!.end()
    })
    clock.advanceSync(100)
    expect(serverGot).toEqual([1, 2, 3])
    expect(clientGot).toEqual([9, 9])
    expect(ended).toBe(true)
    expect(net.stats()).toMatchObject({ streamsOpened: 1, streamBytes: 5 })
  })

  it('fails a dial across a partition or to a host that is down after the timeout, and to an unknown or closed address quickly as refused', () => {
    const { clock, net, a } = setup()
    net.partition(['10.0.0.1:7946'], ['10.0.0.2:7946'])
    let failedAt = -1
    a.dialCallback('10.0.0.2:7946', 300, (err) => {
      expect(err?.code).toBe('ERR_TRANSPORT_DIAL')
      failedAt = clock.now()
    })
    let refusedAt = -1
    a.dialCallback('10.0.0.9:7946', 300, (err) => {
      expect(err?.code).toBe('ERR_TRANSPORT_REFUSED')
      refusedAt = clock.now()
    })
    clock.advanceSync(1000)
    expect(failedAt).toBe(300)
    expect(refusedAt).toBe(10)
    expect(net.stats().streamsFailed).toBe(2)
  })

  it('refuses a dial to a closed endpoint on a host that is up (a killed process), and times out when the host itself is down', () => {
    const { clock, net, a, b } = setup()
    const c = net.createTransport('10.0.0.3:7946')
    b.close()
    net.setDown('10.0.0.3:7946')
    const got: Array<[string | undefined, number]> = []
    a.dialCallback('10.0.0.2:7946', 300, (err) => got.push([err?.code, clock.now()]))
    a.dialCallback('10.0.0.3:7946', 300, (err) => got.push([err?.code, clock.now()]))
    clock.advanceSync(1000)
    expect(got).toEqual([
      ['ERR_TRANSPORT_REFUSED', 10],
      ['ERR_TRANSPORT_DIAL', 300],
    ])
    c.close()
  })
})

describe('addresses', () => {
  it.each([
    [Uint8Array.of(10, 0, 0, 1), 7946, '10.0.0.1:7946'],
    [Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1), 80, '127.0.0.1:80'],
  ])('formats %s', (ip, port, text) => {
    expect(formatAddress(ip, port)).toBe(text)
    expect(parseAddress(text).port).toBe(port)
  })
  it('rejects bad addresses with a code', () => {
    expect(() => parseAddress('nope')).toThrow(expect.objectContaining({ code: 'ERR_TRANSPORT_ADDRESS' }))
    expect(() => ipv4Bytes('1.2.3')).toThrow(expect.objectContaining({ code: 'ERR_TRANSPORT_ADDRESS' }))
    expect([...ipv4Bytes('1.2.3.4')]).toEqual([1, 2, 3, 4])
  })
})

describe('MemoryNetwork streams on lossy links', () => {
  it('delays a stream by retransmissions instead of losing data', () => {
    const { clock, a, b, net } = setup(5, { loss: 0.5 })
    const got: number[] = []
    b.onStream((s) => s.onData((c) => got.push(...c)))
    let opened = 0
    let failed = 0
    for (let i = 0; i < 50; i++) {
      a.dialCallback('10.0.0.2:7946', 30_000, (err, s) => {
        if (err !== undefined) return failed++
        opened++
        s!.write(Uint8Array.of(i))
      })
    }
    clock.advanceSync(200_000)
    expect(opened + failed).toBe(50)
    expect(got.length).toBe(opened)
    expect(net.stats().streamsOpened).toBe(opened)
    // With 75% of handshakes losing a packet, most dials needed at least one 1 s SYN retry.
    expect(opened).toBeGreaterThan(30)
  })

  it('fails a dial whose handshake cannot complete before the deadline', () => {
    const { clock, a, b } = setup(9, { loss: 0.9 })
    b.onStream(() => {})
    let failed = 0
    for (let i = 0; i < 20; i++) a.dialCallback('10.0.0.2:7946', 500, (err) => err !== undefined && failed++)
    clock.advanceSync(1_000)
    expect(failed).toBeGreaterThan(10)
  })
})

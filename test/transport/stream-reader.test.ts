import { describe, expect, it } from 'vitest'
import { ClusterError } from '../../src/errors/index.ts'
import { MemoryNetwork } from '../../src/transport/memory-network.ts'
import { exchangeOnce, readOneMessage } from '../../src/transport/stream-reader.ts'
import type { ParseResult } from '../../src/transport/stream-reader.ts'
import type { Stream } from '../../src/transport/transport.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../src/types/random.ts'

/** A toy framing: [len:u8][len bytes]; a first byte of 0xff is malformed. */
function parseFrame(bytes: Uint8Array): ParseResult<number[]> {
  if (bytes[0] === 0xff) throw new ClusterError('ERR_TEST_MALFORMED', 'bad frame')
  if (bytes.length < 1 || bytes.length < 1 + bytes[0]!) return { done: false }
  return { done: true, value: [...bytes.subarray(1, 1 + bytes[0]!)] }
}

function pair() {
  const clock = new SimulatedClock()
  const net = new MemoryNetwork({ clock, random: createSeededRandom(3) })
  const a = net.createTransport('10.1.0.1:7946')
  const b = net.createTransport('10.1.0.2:7946')
  let server: Stream | undefined
  let client: Stream | undefined
  b.onStream((s) => (server = s))
  a.dialCallback(b.localAddress, 1000, (_err, s) => (client = s))
  clock.runUntilTrue(() => server !== undefined && client !== undefined, 100)
  return { clock, a, b, server: server!, client: client! }
}

interface Outcome {
  err?: string
  value?: number[]
  closed: number
}

function read(s: Stream, maxBytes = 64, deadlineMs?: number): Outcome {
  const out: Outcome = { closed: 0 }
  const options = { maxBytes, parse: parseFrame, onClose: () => out.closed++, ...(deadlineMs === undefined ? {} : { deadlineMs }) }
  readOneMessage(s, options, (err, value) => {
    if (err !== undefined) out.err = err.code
    else out.value = value!
  })
  return out
}

describe('readOneMessage', () => {
  it('reads one message across chunks and leaves the stream open for the reply', () => {
    const { clock, server, client } = pair()
    const out = read(server)
    client.write(Uint8Array.of(3, 1))
    client.write(Uint8Array.of(2, 3, 99))
    clock.advanceSync(10)
    expect(out).toEqual({ value: [1, 2, 3], closed: 0 })
    let reply: number[] = []
    client.onData((c) => (reply = [...c]))
    client.onEnd(() => {})
    expect(server.write(Uint8Array.of(42))).toBe(true)
    clock.advanceSync(10)
    expect(reply).toEqual([42])
  })

  it('refuses a message past maxBytes (ERR_TRANSPORT_TOO_LARGE) and closes the stream', () => {
    const { clock, b, server, client } = pair()
    const out = read(server, 16)
    let peerEnd: string | undefined
    client.onData(() => {})
    client.onEnd((e) => (peerEnd = e?.code ?? 'clean'))
    // Declares 200 bytes; 10 + 10 fit under 16 only until the second chunk.
    client.write(Uint8Array.of(200, ...new Array<number>(9).fill(0)))
    client.write(new Uint8Array(10))
    clock.advanceSync(10)
    expect(out).toEqual({ err: 'ERR_TRANSPORT_TOO_LARGE', closed: 1 })
    expect(peerEnd).toBe('ERR_TRANSPORT_CLOSED')
    expect(b.streamCounters().inboundOpen).toBe(0)
  })

  it('passes a parser error on and closes the stream', () => {
    const { clock, server, client } = pair()
    const out = read(server)
    client.write(Uint8Array.of(0xff))
    clock.advanceSync(10)
    expect(out).toEqual({ err: 'ERR_TEST_MALFORMED', closed: 1 })
    expect(server.write(Uint8Array.of(1))).toBe(false)
  })

  it('fails with ERR_TRANSPORT_CLOSED when the peer ends before a whole message', () => {
    const { clock, server, client } = pair()
    const out = read(server)
    client.write(Uint8Array.of(5, 1))
    client.end()
    clock.advanceSync(10)
    expect(out).toEqual({ err: 'ERR_TRANSPORT_CLOSED', closed: 1 })
  })

  it('a peer that connects and sends nothing is cut at the deadline (simulated clock), counted', () => {
    const { clock, b, server } = pair()
    const out = read(server, 64, 10_000)
    clock.advanceSync(9_999)
    expect(out).toEqual({ closed: 0 })
    expect(b.streamCounters().inboundOpen).toBe(1)
    clock.advanceSync(1)
    expect(out).toEqual({ err: 'ERR_TRANSPORT_TIMEOUT', closed: 1 })
    expect(b.streamCounters()).toMatchObject({ deadlinesExpired: 1, inboundOpen: 0 })
  })
})

describe('exchangeOnce', () => {
  function exchange(client: Stream, deadlineMs?: number): Outcome {
    const out: Outcome = { closed: 0 }
    const options = { maxBytes: 64, parse: parseFrame, onClose: () => out.closed++, ...(deadlineMs === undefined ? {} : { deadlineMs }) }
    exchangeOnce(client, Uint8Array.of(1, 7), options, (err, value) => {
      if (err !== undefined) out.err = err.code
      else out.value = value!
    })
    return out
  }

  it('sends the request, reads the reply and closes the stream', () => {
    const { clock, b, server, client } = pair()
    server.onData((c) => {
      expect([...c]).toEqual([1, 7])
      server.write(Uint8Array.of(2, 8, 9))
    })
    server.onEnd(() => {})
    const out = exchange(client)
    clock.advanceSync(10)
    expect(out).toEqual({ value: [8, 9], closed: 1 })
    expect(client.write(Uint8Array.of(0))).toBe(false)
    expect(b.streamCounters().inboundOpen).toBe(0)
  })

  it('closes the stream at the deadline when no reply comes', () => {
    const { clock, a, b, server, client } = pair()
    server.onData(() => {})
    server.onEnd(() => {})
    const out = exchange(client, 500)
    clock.advanceSync(499)
    expect(out.closed).toBe(0)
    clock.advanceSync(10)
    expect(out).toEqual({ err: 'ERR_TRANSPORT_TIMEOUT', closed: 1 })
    expect(a.streamCounters().deadlinesExpired).toBe(1)
    expect(b.streamCounters().inboundOpen).toBe(0)
  })
})

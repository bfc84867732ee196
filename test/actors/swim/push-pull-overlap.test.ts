/**
 * The initiator of a push/pull asks for Serf's LocalState as its dial starts, so the two waits
 * overlap: with every actor in its own thread the ask is a round trip to member-manager's thread,
 * and a join's push/pull (the `join` RPC's critical path) took the dial plus that round trip before
 * its state went out. Memory network on a simulated clock; the LocalState answer is held back by
 * a fixed delay as a member-manager in another thread would be.
 */
import { describe, expect, it } from 'vitest'
import { testConfig } from '../../../actors/swim/config.ts'
import type { SwimOutput, SwimPorts } from '../../../actors/swim/ports.ts'
import type { SwimNode } from '../../../actors/swim/swim-node.ts'
import type { Stream } from '../../../src/transport/transport.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { streamNode } from './support/stream-node.ts'

const config = testConfig()
/** Link latency of the memory network (ms): a dial completes after one round trip, 2 ms. */
const LATENCY_MS = 1

/** Two swim nodes; a's LocalState answers `userStateDelayMs` after it is asked (b's at once). */
function world(userStateDelayMs: number) {
  const clock = new SimulatedClock()
  const random = createSeededRandom(3)
  const net = new MemoryNetwork({ clock, random, defaultLink: { latencyMs: LATENCY_MS } })
  const asked: number[] = []
  const received: number[] = []

  function node(ip: number, name: string, delayMs: number) {
    const outputs: SwimOutput[] = []
    const ports: Partial<SwimPorts> = {
      localUserState: (_join, cb) => {
        if (name === 'a') asked.push(clock.now())
        if (delayMs === 0) cb(new Uint8Array(0))
        else clock.setTimeout(() => cb(new Uint8Array(0)), delayMs)
      },
      emit: (o) => outputs.push(o),
    }
    const accept = (s: Stream, node: SwimNode): void => {
      // When a's state reached the responder: its reader's data handler, timed.
      const onData = s.onData.bind(s)
      s.onData = (handler) =>
        onData((chunk) => {
          received.push(clock.now())
          handler(chunk)
        })
      node.onStream(s)
    }
    const { swim, transport } = streamNode({ net, clock, random, config, ip, name, ports, accept })
    return { swim, transport, outputs }
  }

  const a = node(1, 'a', userStateDelayMs)
  const b = node(2, 'b', 0)
  return { clock, a, b, asked, received }
}

/** One push/pull a -> b: when a asked for its LocalState, when b got a's state, when a finished. */
function run(userStateDelayMs: number) {
  const w = world(userStateDelayMs)
  const start = w.clock.now()
  let doneAt: number | undefined
  let error: string | undefined
  w.a.swim.pushPull.initiate(w.b.transport.localAddress, true, (err) => {
    doneAt = w.clock.now() - start
    error = err?.code
  })
  w.clock.advanceSync(200)
  expect(w.received.length).toBeGreaterThan(0)
  return { askedAt: w.asked.map((t) => t - start), receivedAt: w.received[0]! - start, doneAt, error, a: w.a, b: w.b }
}

describe('PushPull initiator: LocalState asked as the dial starts', () => {
  it('asks for the user state before the dial completes, and the exchange still completes', () => {
    const r = run(0)
    expect(r.error).toBeUndefined()
    expect(r.askedAt).toEqual([0])
    expect(r.a.swim.table.get('b')?.state).toBe('alive')
    expect(r.b.swim.table.get('a')?.state).toBe('alive')
  })

  it('a slow LocalState answer overlaps the dial: the state goes out at the later of the two, not their sum', () => {
    const quick = run(0)
    const dialMs = quick.receivedAt - LATENCY_MS // the state went out as the dial completed
    const delayMs = 5
    const slow = run(delayMs)
    expect(slow.error).toBeUndefined()
    expect(slow.askedAt).toEqual([0])
    // Asked at 0, answered at 5, dial done at 2: written at 5, at b one latency later. Asked only
    // once connected, it would be written at dialMs + 5.
    expect(slow.receivedAt).toBe(Math.max(dialMs, delayMs) + LATENCY_MS)
    expect(slow.doneAt! - quick.doneAt!).toBe(Math.max(dialMs, delayMs) - dialMs)
    expect(slow.b.swim.table.get('a')?.state).toBe('alive')
  })

  it('a dial that fails ends the push/pull even though its LocalState answer comes later; nothing is written', () => {
    const w = world(50)
    let result: string | undefined
    // Nobody listens at 10.0.0.9: the dial fails after one round trip, well before the answer.
    w.a.swim.pushPull.initiate('10.0.0.9:7946', true, (err) => (result = err?.code))
    w.clock.advanceSync(100)
    expect(result).toBeDefined()
    expect(w.asked).toEqual([0])
    expect(w.received).toEqual([])
    expect(w.a.swim.pushPull.openStreams()).toBe(0)
  })
})

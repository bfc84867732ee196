/**
 * A swim node that member-manager has told its user state (`member.user-state`) answers and
 * starts push/pulls with it at once, without asking: with every actor in its own thread that ask
 * was a round trip to member-manager's thread on the path of every join's reply. Memory network on
 * a simulated clock; an ask is answered after ASK_MS, as a member-manager in another thread would.
 */
import { describe, expect, it } from 'vitest'
import { testConfig } from '../../../actors/swim/config.ts'
import type { SwimPorts } from '../../../actors/swim/ports.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { streamNode } from './support/stream-node.ts'

const config = testConfig()
/** How long an ask of the user state takes to be answered (ms). */
const ASK_MS = 10

function world() {
  const clock = new SimulatedClock()
  const random = createSeededRandom(5)
  const net = new MemoryNetwork({ clock, random, defaultLink: { latencyMs: 1 } })
  function node(ip: number, name: string) {
    const asks: number[] = []
    const merged: Uint8Array[] = []
    const ports: Partial<SwimPorts> = {
      localUserState: (_join, cb) => {
        asks.push(clock.now())
        clock.setTimeout(() => cb(Uint8Array.of(0xa0 + ip)), ASK_MS)
      },
      mergeRemoteUserState: (bytes) => void merged.push(bytes),
    }
    const { swim, transport } = streamNode({ net, clock, random, config, ip, name, ports })
    return { swim, transport, asks, merged }
  }
  return { clock, a: node(1, 'a'), b: node(2, 'b') }
}

/** One push/pull a -> b; when it finished (ms after it started). */
function pushPull(w: ReturnType<typeof world>): number {
  const start = w.clock.now()
  let doneAt: number | undefined
  w.a.swim.pushPull.initiate(w.b.transport.localAddress, true, (err) => {
    expect(err).toBeUndefined()
    doneAt = w.clock.now() - start
  })
  w.clock.advanceSync(200)
  expect(doneAt).toBeDefined()
  return doneAt!
}

describe('swim with its user state told ahead of time', () => {
  it('answers a push/pull with the told state, without asking, one ask sooner', () => {
    const asked = world()
    const asking = pushPull(asked)
    expect(asked.b.asks).toHaveLength(1)
    expect(asked.a.merged).toEqual([Uint8Array.of(0xa2)])

    const told = world()
    told.b.swim.userStateTold(Uint8Array.of(0xb2))
    const quick = pushPull(told)
    expect(told.b.asks).toEqual([])
    expect(told.b.swim.counters.userStatesTold).toBe(1)
    // a merged the told bytes, and b answered without the ask's wait.
    expect(told.a.merged).toEqual([Uint8Array.of(0xb2)])
    expect(quick).toBe(asking - ASK_MS)
    expect(told.b.swim.table.get('a')?.state).toBe('alive')
  })

  it('starts a push/pull with the told state, and a later tell replaces it', () => {
    const w = world()
    w.a.swim.userStateTold(Uint8Array.of(1))
    w.a.swim.userStateTold(Uint8Array.of(2))
    pushPull(w)
    expect(w.a.asks).toEqual([])
    expect(w.b.merged).toEqual([Uint8Array.of(2)])
    expect(w.a.swim.counters.userStatesTold).toBe(1)
  })
})

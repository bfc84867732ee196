/**
 * Join addresses are parsed with swim's config (join-address.ts), as memberlist reads them: a
 * missing port is swim.bindPort (7946, Serf's port), IPv6 bare or bracketed, hostnames by syntax.
 * A bad one leaves the actor in `failed` with a configError naming swim.join[i]; it once reached
 * the transport's dial, which threw inside the machine: a crash loop, then escalation.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_JOIN_ADDRESSES, parseJoinAddress, parseJoinAddresses } from '../../../actors/swim/join-address.ts'
import { swim } from '../../../actors/swim/definition.ts'
import { swimIo } from '../../../actors/swim/io/swim-io.ts'
import type { SwimTransportOpener } from '../../../actors/swim/io/swim-io.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import type { SystemEvent } from '../../../src/runtime/types.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import { parseAddress } from '../../../src/transport/transport.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'

describe('join addresses', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1:7946'],
    ['127.0.0.1:17946', '127.0.0.1:17946'],
    ['[::1]:8000', '[::1]:8000'],
    ['[::1]', '[::1]:7946'],
    ['::1', '[::1]:7946'],
    ['FE80:0:0:0:0:0:0:1', '[fe80::1]:7946'],
    // memberlist's hasPort: more than one colon without brackets is an IPv6 address, not a port.
    ['::1:7946', '[::1:7946]:7946'],
    ['::ffff:10.0.0.1', '10.0.0.1:7946'],
    ['web-1/10.0.0.2:7000', '10.0.0.2:7000'],
    ['localhost', 'localhost:7946'],
    ['db-1.example.com:17946', 'db-1.example.com:17946'],
    ['serf_seed.internal.', 'serf_seed.internal.:7946'],
  ])('reads %s as %s', (text, address) => {
    expect(parseJoinAddress(text, 7946, 'swim.join[0]')).toBe(address)
  })

  it('defaults a missing port to the given swim.bindPort', () => {
    expect(parseJoinAddresses(['10.0.0.1', '10.0.0.2:80'], 17946)).toEqual(['10.0.0.1:17946', '10.0.0.2:80'])
    expect(parseJoinAddresses(undefined, 7946)).toEqual([])
  })

  it.each([
    ['127.0.0.1:99999', 'must have a port in 1..65535'],
    ['127.0.0.1:0', 'must have a port in 1..65535'],
    ['127.0.0.1:', 'must have a port in 1..65535'],
    ['127.0.0.1:+80', 'must have a port in 1..65535'],
    [':7946', 'must be an IP address or a hostname, with an optional port'],
    ['[::1', 'has "[" without "]"'],
    ['[::1]7946', 'must be "[v6]" or "[v6]:port"'],
    ['[10.0.0.1]:7946', 'must hold an IPv6 address between "[" and "]"'],
    ['10.0.0.300', 'must be an IP address or a hostname, with an optional port'],
    ['a b', 'must be an IP address or a hostname, with an optional port'],
    ['http://web-1', 'must be an IP address or a hostname, with an optional port'],
    ['-web', 'must be an IP address or a hostname, with an optional port'],
    ['', 'must be an IP address or a hostname, with an optional port'],
    ['/10.0.0.1', 'has an empty node name before "/"'],
    [`${'a'.repeat(64)}.example`, 'must be an IP address or a hostname, with an optional port'],
  ])('refuses %j, naming the entry and showing it', (text, rule) => {
    let caught: unknown
    try {
      parseJoinAddresses(['10.0.0.1', text], 7946)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(InvalidConfigError)
    expect(caught).toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'swim.join[1]' } })
    expect((caught as Error).message).toBe(`swim.join[1] ${rule} (got ${JSON.stringify(text)})`)
  })

  it('refuses a missing port when swim.bindPort is 0, non-strings, a non-array and an oversized list', () => {
    expect(() => parseJoinAddresses(['10.0.0.1'], 0)).toThrow('swim.join[0] has no port, and the default (swim.bindPort) is 0 (got "10.0.0.1")')
    expect(() => parseJoinAddresses([7946], 7946)).toThrow('swim.join[0] must be an address string ("host", "host:port", "[v6]:port") (got 7946)')
    expect(() => parseJoinAddresses('10.0.0.1', 7946)).toThrow('swim.join must be an array of addresses ("host", "host:port", "[v6]:port") (got "10.0.0.1")')
    expect(() => parseJoinAddresses(Array(MAX_JOIN_ADDRESSES + 1).fill('10.0.0.1'), 7946)).toThrow(`swim.join must hold at most ${MAX_JOIN_ADDRESSES} addresses`)
  })
})

describe('swim with join addresses, on the runtime', () => {
  const systems: ActorSystem[] = []
  afterEach(async () => {
    for (const s of systems.splice(0)) await s.shutdown()
  })

  /**
   * Endpoints on a MemoryNetwork whose dial reads the address as NetTransport's does (parseAddress
   * throws ERR_TRANSPORT_ADDRESS on anything but host:port), so a join address that would break the
   * real transport breaks this one the same way. Each opened address is recorded.
   */
  const netLikeOpener =
    (net: MemoryNetwork, opened: string[]): SwimTransportOpener =>
    (at) => {
      opened.push(at)
      const t = net.createTransport(at)
      return {
        get localAddress() {
          return t.localAddress
        },
        sendPacket: (to, bytes) => t.sendPacket(to, bytes),
        onPacket: (h) => t.onPacket(h),
        onStream: (h) => t.onStream(h),
        dialCallback: (to, ms, cb) => {
          parseAddress(to)
          t.dialCallback(to, ms, cb)
        },
        streamCounters: () => t.streamCounters(),
        close: () => t.close(),
      }
    }

  async function node(clock: SimulatedClock, net: MemoryNetwork, i: number, join: string[], opened: string[] = []) {
    const system = await ActorSystem.start({ node: `n${i}`, clock, seed: i, logLevel: 'silent' })
    systems.push(system)
    const events: SystemEvent[] = []
    system.on((e) => void events.push(e))
    const ref = await system.spawn(swim, {
      id: 'swim',
      placement: 'inline',
      input: { name: `n${i}`, addr: Uint8Array.of(10, 0, 3, i), port: 7946, preset: 'lan', join },
      supervision: { backoffMs: 10 },
      ...swimIo(netLikeOpener(net, opened)),
    })
    return { system, ref, events }
  }

  const network = (clock: SimulatedClock) => new MemoryNetwork({ clock, random: createSeededRandom(5), defaultLink: { latencyMs: 1 } })

  it('joins by IP alone on port 7946, as a Serf agent would', async () => {
    const clock = new SimulatedClock()
    const net = network(clock)
    await node(clock, net, 1, [])
    const n2 = await node(clock, net, 2, ['10.0.3.1'])
    await clock.advance(3_000)
    const snap = await n2.ref.getSnapshot()
    expect(snap.value).toBe('running')
    expect(snap.context.numNodes).toBe(2)
    expect(n2.events.filter((e) => e.type === 'actor.crashed')).toEqual([])
  })

  it('takes the same forms in a swim.join message', async () => {
    const clock = new SimulatedClock()
    const net = network(clock)
    await node(clock, net, 1, [])
    const n2 = await node(clock, net, 2, [])
    await clock.advance(100)
    expect(n2.ref.send({ type: 'swim.join', addresses: ['n1/10.0.3.1'] })).toBe('ok')
    await clock.advance(3_000)
    expect((await n2.ref.getSnapshot()).context.numNodes).toBe(2)
    // A bad one is refused by the definition's validation, as before: counted, not a crash.
    n2.ref.send({ type: 'swim.join', addresses: ['10.0.3.1:99999'] })
    await clock.advance(100)
    expect(n2.events.filter((e) => e.type === 'message.invalid').map((e) => (e as { messageType: string }).messageType)).toEqual(['swim.join'])
    expect(n2.events.filter((e) => e.type === 'actor.crashed')).toEqual([])
  })

  it("answers an asked swim.join with that join's own outcome: numJoined and each failed address's coded error", async () => {
    const clock = new SimulatedClock()
    const net = network(clock)
    await node(clock, net, 1, [])
    const n2 = await node(clock, net, 2, [])
    await clock.advance(100)
    const asked = n2.ref.ask({ type: 'swim.join', addresses: ['10.0.3.1', '10.0.3.9:7946'] }, { timeoutMs: 60_000 })
    await clock.advance(30_000)
    const reply = await asked
    expect(reply).toMatchObject({ type: 'swim.join-reply', numJoined: 1, errors: [{ address: '10.0.3.9:7946' }] })
    expect(reply.errors[0]!.code).toMatch(/^ERR_JOIN_/)
    expect(reply.errors[0]!.message).toMatch(/^Failed to join 10\.0\.3\.9: /)
  })

  it('fails an asked swim.join at once when it refuses it (failed swim)', async () => {
    const clock = new SimulatedClock()
    const net = network(clock)
    const n2 = await node(clock, net, 2, ['10.0.3.1:99999'])
    await clock.advance(1_000)
    expect((await n2.ref.getSnapshot()).value).toBe('failed')
    const outcome = n2.ref.ask({ type: 'swim.join', addresses: ['10.0.3.1'] }, { timeoutMs: 60_000 }).then(
      () => 'answered',
      (e: unknown) => e,
    )
    await clock.advance(10)
    expect(await outcome).toMatchObject({ code: 'ERR_SWIM_JOIN_REFUSED' })
  })

  it('stays failed with a configError naming the entry, without a crash or a socket, for a bad address', async () => {
    const clock = new SimulatedClock()
    const net = network(clock)
    const opened: string[] = []
    const n2 = await node(clock, net, 2, ['10.0.3.1:7946', '10.0.3.1:99999'], opened)
    await clock.advance(5_000)
    const snap = await n2.ref.getSnapshot()
    expect(snap.value).toBe('failed')
    expect(snap.context.configError).toMatchObject({
      code: 'ERR_INVALID_CONFIG',
      message: 'swim.join[1] must have a port in 1..65535 (got "10.0.3.1:99999")',
      details: { field: 'swim.join[1]' },
    })
    expect(opened).toEqual([])
    expect(n2.events.filter((e) => e.type === 'actor.crashed' || e.type === 'actor.escalated')).toEqual([])
  })

  it('in its worker thread, on real sockets, stays failed too (the crash loop reported in issue 10)', async () => {
    const system = await ActorSystem.start({ node: 'w', logLevel: 'silent' })
    systems.push(system)
    const crashes: SystemEvent[] = []
    system.on((e) => void ((e.type === 'actor.crashed' || e.type === 'actor.escalated') && crashes.push(e)))
    const ref = await system.spawn(swim, { id: 'swim', input: { name: 'w', addr: Uint8Array.of(127, 0, 0, 1), port: 0, join: ['127.0.0.1:99999'] } })
    let snap = await ref.getSnapshot()
    // The config is refused in the machine's first step; a few snapshots give a slow machine time.
    for (let i = 0; i < 50 && snap.value !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 20))
      snap = await ref.getSnapshot()
    }
    expect(snap.value).toBe('failed')
    expect(snap.context.configError).toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'swim.join[0]' } })
    expect(crashes).toEqual([])
  })
})

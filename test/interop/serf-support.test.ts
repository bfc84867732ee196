/**
 * The test-support layer for real Serf agents (test/support/serf.ts, serf-relay.ts, ports.ts), which
 * the capture script and later interop issues build on: finding the binary, starting agents behind
 * the recording relay, the CLI verbs, graceful leave and stop.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { afterAll, describe, expect, it } from 'vitest'
import { freeGossipPort } from '../support/ports.ts'
import { SerfAgent, ensureSerf, runSerf, stopAgents, waitUntil } from '../support/serf.ts'
import { SerfRelay } from '../support/serf-relay.ts'

describe('ensureSerf', () => {
  it('finds the installed binary', async () => {
    const bin = ensureSerf()
    expect(bin).toMatch(/serf$/)
    expect((await runSerf(['version'])).stdout).toMatch(/Agent Protocol: 5/)
  })

  it('fails with a coded error that says how to install serf when it is missing', () => {
    expect(() => ensureSerf({ PATH: '/nonexistent' })).toThrow(
      expect.objectContaining({ code: 'ERR_TEST_SERF_MISSING', message: expect.stringContaining('scripts/install-deps.sh') }),
    )
    expect(() => ensureSerf({ SERF_BIN: '/nonexistent/serf', PATH: '/usr/bin' })).toThrow(expect.objectContaining({ code: 'ERR_TEST_SERF_MISSING' }))
  })
})

describe('freeGossipPort', () => {
  it('hands out distinct ports', async () => {
    const ports = await Promise.all([1, 2, 3, 4, 5].map(() => freeGossipPort()))
    expect(new Set(ports).size).toBe(5)
  })
})

describe('SerfAgent behind SerfRelay', () => {
  const relay = new SerfRelay()
  const agents: SerfAgent[] = []

  afterAll(async () => {
    await stopAgents(agents, { signal: 'SIGKILL' })
    await relay.close()
  })

  async function start(name: string, tags: Record<string, string>): Promise<SerfAgent> {
    await relay.addNode(name, await freeGossipPort())
    const agent = await SerfAgent.start({ name, tags, advertise: relay.relayAddr(name) })
    agents.push(agent)
    relay.registerAgent(name, agent.bindPort, agent.pid)
    return agent
  }

  it('joins two agents through the relay, runs the CLI verbs, leaves and stops', async () => {
    const a = await start('sa', { role: 'web' })
    const b = await start('sb', { role: 'db' })
    await b.join([relay.relayAddr('sa')])
    const seen = await a.waitForMember('sb', (m) => m.status === 'alive', 5_000)
    // Peers know each other only by the relay's address.
    expect(seen).toMatchObject({ addr: relay.relayAddr('sb'), tags: { role: 'db' } })
    expect((await b.members()).find((m) => m.name === 'sa')?.addr).toBe(relay.relayAddr('sa'))

    await a.event('hello', 'world', { coalesce: false })
    // The acks must arrive within the query's window, so give it room on a loaded machine.
    const answer = await a.query('anyone', undefined, { timeoutMs: 3_000 })
    expect(answer.acks.sort()).toEqual(['sa', 'sb'])
    expect(answer.responses).toEqual({}) // no query handler installed
    // b witnessed a's event: its event clock moved past the initial 1.
    await waitUntil('the event at sb', async () => ((await b.info()).serf['event_time'] !== '1' ? true : undefined), 5_000)

    await b.leave()
    await a.waitForMember('sb', (m) => m.status === 'left', 10_000)
    // It exits by itself (in about a second); 15 s before calling it stuck.
    let stuck: NodeJS.Timeout | undefined
    const outcome = await Promise.race([b.exited.then(() => 'exited'), new Promise((r) => (stuck = setTimeout(() => r('running'), 15_000)))])
    clearTimeout(stuck)
    expect(outcome).toBe('exited')
    expect(b.running).toBe(false)

    await a.stop()
    expect(a.running).toBe(false)
    await a.stop() // a second stop is harmless

    // The relay saw UDP both ways and identified the TCP join initiator.
    const pairs = new Set(relay.records.map((r) => `${r.transport}:${r.from ?? '?'}>${r.to}`))
    for (const pair of ['udp:sa>sb', 'udp:sb>sa', 'tcp:sb>sa', 'tcp:sa>sb']) expect(pairs).toContain(pair)
    expect(relay.unknownUdpSources).toBe(0)
  })
})

describe('SerfRelay', () => {
  it('forwards UDP like a symmetric NAT, records it, and drops what block() names', async () => {
    const relay = new SerfRelay()
    const sockets: UdpSocket[] = []
    const bound = async (): Promise<UdpSocket> => {
      const socket = createSocket('udp4')
      sockets.push(socket)
      await new Promise<void>((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, () => resolve()))
      return socket
    }
    try {
      // Two fake "agents": plain UDP sockets registered as x and y.
      const x = await bound()
      const y = await bound()
      for (const [name, socket] of [['x', x], ['y', y]] as const) {
        await relay.addNode(name, await freeGossipPort())
        relay.registerAgent(name, socket.address().port, undefined)
      }
      const next = (): Promise<{ text: string; port: number }> =>
        new Promise((resolve) => y.once('message', (msg, rinfo) => resolve({ text: msg.toString(), port: rinfo.port })))
      const yRelayPort = Number(relay.relayAddr('y').split(':')[1])
      const xRelayPort = Number(relay.relayAddr('x').split(':')[1])

      let arrival = next()
      x.send('one', yRelayPort, '127.0.0.1')
      // y sees x at x's relay address, as if x had advertised it.
      expect(await arrival).toEqual({ text: 'one', port: xRelayPort })

      relay.block('x', 'y')
      arrival = next()
      x.send('dropped', yRelayPort, '127.0.0.1')
      x.send('dropped too', yRelayPort, '127.0.0.1')
      await waitUntil('two blocked datagrams', () => (relay.droppedByBlock === 2 ? true : undefined), 2_000, 5)
      relay.unblock('x', 'y')
      x.send('after', yRelayPort, '127.0.0.1')
      expect((await arrival).text).toBe('after') // the next datagram y gets is the one sent after unblock
      expect(relay.droppedByBlock).toBe(2)
      expect(relay.records.filter((r) => r.transport === 'udp').map((r) => `${r.from}>${r.to}:${r.bytes.toString()}`)).toEqual(['x>y:one', 'x>y:after'])
    } finally {
      for (const socket of sockets) socket.close()
      await relay.close()
    }
  })
})

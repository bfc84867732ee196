/**
 * The test-support layer for real Serf agents (test/support/serf.ts, serf-relay.ts, ports.ts), which
 * the capture script and later interop issues build on: finding the binary, starting agents behind
 * the recording relay, the CLI verbs, graceful leave and stop.
 */
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
    const answer = await a.query('anyone', undefined, { timeoutMs: 1_000 })
    expect(answer.acks.sort()).toEqual(['sa', 'sb'])
    expect(answer.responses).toEqual({}) // no query handler installed
    // b witnessed a's event: its event clock moved past the initial 1.
    await waitUntil('the event at sb', async () => ((await b.info()).serf['event_time'] !== '1' ? true : undefined), 5_000)

    await b.leave()
    await a.waitForMember('sb', (m) => m.status === 'left', 10_000)
    expect(await Promise.race([b.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('running'), 5_000))])).toBe('exited')
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

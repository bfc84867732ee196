/**
 * `gossamer agent` with coordination (-election=nats, -assign) and the `leader` and `assignments`
 * verbs against it: two agents in this process (real node, inline actors, real RPC server) on a
 * real `nats-server -js`; both agree on the leader and term; each agent's share of the partitions
 * is printed as text and JSON, and together they cover every partition once. Bad coordination
 * flags are Serf-style config errors (exit 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { productionDeps } from '../../src/agent/deps.ts'
import { runAgent } from '../../src/agent/run-agent.ts'
import { main } from '../../src/cli/main.ts'
import { memoryIo } from '../../src/cli/io.ts'
import { freeGossipPort, freeTcpPort } from '../support/ports.ts'
import { waitUntil } from '../support/serf.ts'
import { NatsServer } from '../support/nats.ts'
import { FakeSignals } from '../agent/agent-harness.ts'

let server: NatsServer | undefined
beforeAll(async () => {
  server = await NatsServer.start()
  await server.createBucket('gossamer-elections', 1_000)
}, 20_000)
afterAll(async () => {
  await server?.stop()
})

async function verb(argv: string[]): Promise<{ code: number; out: string }> {
  const io = memoryIo()
  const code = await main(argv, io)
  return { code, out: [...io.stdout, ...io.stderr].join('\n') }
}

describe('coordination through the agent and the CLI', () => {
  it('leader and assignments verbs against two agents on nats', async () => {
    const nats = server!.url.replace('nats://', '')
    const agents: Array<{ rpc: string; signals: FakeSignals; exit: Promise<number>; out: string[] }> = []
    let firstGossip = ''
    for (const name of ['ag-1', 'ag-2']) {
      const gossip = `127.0.0.1:${await freeGossipPort()}`
      firstGossip ||= gossip
      const rpc = `127.0.0.1:${await freeTcpPort()}`
      const out: string[] = []
      const signals = new FakeSignals()
      const join = name === 'ag-1' ? [] : [`-join=${firstGossip}`]
      const exit = runAgent(
        [`-node=${name}`, `-bind=${gossip}`, `-rpc-addr=${rpc}`, '-profile=local', '-placement=inline', '-election=nats', `-nats-server=${nats}`, '-election-lease=1s', '-assign=jobs=32', '-assign-window=300ms', ...join],
        { out: (t) => out.push(t), err: (t) => out.push(t) },
        { ...productionDeps(), signals },
      )
      await waitUntil(`${name} to run`, () => (out.includes('==> Log data will now stream in as it occurs:') ? true : undefined), 20_000)
      agents.push({ rpc, signals, exit, out })
    }
    const shares = await waitUntil(
      'both agents to hold a 2-worker assignment',
      async () => {
        const got = await Promise.all(agents.map((a) => verb(['assignments', `-rpc-addr=${a.rpc}`, '-format=json', 'jobs'])))
        const parsed = got.map((g) => (g.code === 0 ? (JSON.parse(g.out) as { version: number; term: number; workers: number; partitions: number[]; leader: string }) : undefined))
        return parsed.every((p) => p !== undefined && p.workers === 2) && parsed[0]!.version === parsed[1]!.version ? parsed : undefined
      },
      30_000,
    )
    expect(shares.flatMap((s) => s!.partitions).sort((x, y) => x - y)).toEqual(Array.from({ length: 32 }, (_, i) => i))
    const leaders = await Promise.all(agents.map((a) => verb(['leader', `-rpc-addr=${a.rpc}`, '-format=json', 'jobs'])))
    const views = leaders.map((l) => JSON.parse(l.out) as { leader: string; term: number; is_self: boolean })
    expect(views[0]!.leader).toBe(views[1]!.leader)
    expect(views[0]!.term).toBe(shares[0]!.term)
    expect(views.filter((v) => v.is_self)).toHaveLength(1)
    const text = await verb(['assignments', `-rpc-addr=${agents[0]!.rpc}`, 'jobs'])
    expect(text.code).toBe(0)
    expect(text.out).toMatch(new RegExp(`^jobs: version \\d+, term ${shares[0]!.term}, leader ag-\\d, 2 workers\\n\\d+ of 32 partitions: [0-9,-]+$`))
    const leaderText = await verb(['leader', `-rpc-addr=${agents[0]!.rpc}`, 'jobs'])
    expect(leaderText.out).toMatch(/^jobs: ag-\d \(term \d+(, this agent)?\)$/)
    const other = await verb(['assignments', `-rpc-addr=${agents[0]!.rpc}`, 'other'])
    expect(other).toMatchObject({ code: 1, out: expect.stringContaining('does not take part in group other') })
    expect(await verb(['leader', `-rpc-addr=${agents[0]!.rpc}`])).toMatchObject({ code: 1, out: expect.stringContaining('A group name must be specified') })
    for (const a of agents) a.signals.send('SIGINT')
    for (const a of agents) await a.exit
  }, 60_000)

  it('bad coordination flags exit 1 with the key named', async () => {
    const cases: Array<[string[], string]> = [
      [['-election=raft'], 'Invalid election backend: raft'],
      [['-election=nats'], 'needs at least one nats server'],
      [['-assign=jobs=8'], "Config key 'assign' needs coordination"],
      [['-election=membership', '-assign=jobs=0'], 'partitions must be in 1..1000000'],
      [['-election=membership', '-assign=jobs=8:-1'], 'weight must be a number >= 0'],
    ]
    for (const [flags, text] of cases) {
      const io = memoryIo()
      expect(await main(['agent', '-placement=inline', ...flags], io)).toBe(1)
      expect(io.stdout.join('\n')).toContain(text)
    }
  })
})

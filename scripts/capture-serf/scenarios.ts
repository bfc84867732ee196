/**
 * The capture scenarios of scripts/capture-serf-vectors.ts, as data: which agents run (behind the
 * recording relay), with which options, and what the serf CLI or a raw client does to them.
 */
import { connect } from 'node:net'
import type { SerfAgent, SerfAgentOptions } from '../../test/support/serf.ts'
import { runSerf, waitUntil } from '../../test/support/serf.ts'
import type { SerfRelay } from '../../test/support/serf-relay.ts'

/** A fixed, published test key (bytes 0x00..0x1f) so encrypted vectors can be decrypted by tests. */
export const CAPTURE_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64')
/** A second published key (bytes 0x20..0x3f), installed with `serf keys -install` in the encrypted scenario. */
export const SECOND_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 32)).toString('base64')

export interface AgentSpec {
  /** Serf node name (`-node`). */
  name: string
  /** Identity in the relay, the fixture's from/to and `ctx.agent()`; default `name`. Differs only for a duplicate name. */
  id?: string
  tags?: Record<string, string>
  queryHandler?: boolean
}

export interface Context {
  relay: SerfRelay
  agents: Map<string, SerfAgent>
  /** Logs an action at the current relay time; the returned object may be completed later (results). */
  note: (action: string, detail?: Record<string, unknown>) => Record<string, unknown>
  start: (spec: AgentSpec) => Promise<SerfAgent>
  agent: (name: string) => SerfAgent
}

export interface Scenario {
  name: string
  description: string
  agents: AgentSpec[]
  options: Partial<SerfAgentOptions>
  /** Agents join the first one before `run`; recording starts then unless `recordSetup`. */
  recordSetup: boolean
  /** Set false for single-agent scenarios driven by a raw TCP client. Default true. */
  join?: boolean
  run: (ctx: Context) => Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function joinAndConverge(ctx: Context, names: string[]): Promise<void> {
  const [first, ...rest] = names
  for (const name of rest) {
    ctx.note('join', { node: name, seed: first })
    await ctx.agent(name).join([ctx.relay.relayAddr(first!)])
  }
  await waitUntil(
    `${names.length} alive members everywhere`,
    async () => {
      for (const name of names) {
        const members = await ctx.agent(name).members()
        if (members.filter((m) => m.status === 'alive').length < names.length) return undefined
      }
      return true
    },
    10_000,
  )
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'plain',
    description: 'two agents, -disable-compression: join push/pull (plain), probes, acks, gossip with CRC',
    agents: [{ name: 'a', tags: { role: 'web', dc: 'x' } }, { name: 'b', tags: { role: 'db' } }],
    options: { disableCompression: true },
    recordSetup: true,
    run: async () => sleep(3_000),
  },
  {
    name: 'compressed',
    description: 'three agents, compression on (the agent default): LZW-wrapped TCP streams, compressed UDP when smaller',
    agents: [{ name: 'a', tags: { role: 'web' } }, { name: 'b', tags: { role: 'db' } }, { name: 'c' }],
    options: {},
    recordSetup: true,
    run: async (ctx) => {
      ctx.note('event', { from: 'a', name: 'bulk', payload: 'x'.repeat(300), coalesce: false })
      await ctx.agent('a').event('bulk', 'x'.repeat(300), { coalesce: false })
      await sleep(2_500)
    },
  },
  {
    name: 'encrypted',
    description:
      'two agents with -encrypt (known key, see "key"), compression on: AES-GCM v1 packets and stream frames; a user event; `serf keys -install` of a second known key and `serf keys -list` (key queries and responses, still sealed with the first key)',
    agents: [{ name: 'a', tags: { role: 'web' } }, { name: 'b' }],
    options: { encryptKey: CAPTURE_KEY },
    recordSetup: true,
    run: async (ctx) => {
      ctx.note('event', { from: 'a', name: 'deploy', payload: 'secret-payload', coalesce: true })
      await ctx.agent('a').event('deploy', 'secret-payload', { coalesce: true })
      await sleep(1_000)
      // Key-management queries: _serf_install-key (keyRequest with a key) and _serf_list-keys.
      ctx.note('keys-install', { from: 'a', key: SECOND_KEY })
      await runSerf(['keys', `-rpc-addr=${ctx.agent('a').rpcAddr}`, '-install', SECOND_KEY])
      ctx.note('keys-list', { from: 'b' })
      await runSerf(['keys', `-rpc-addr=${ctx.agent('b').rpcAddr}`, '-list'])
      await sleep(1_500)
    },
  },
  {
    name: 'pushpull-state',
    description:
      'compression off; a and b join, a fires a user event, b leaves gracefully, then c joins a: the join push/pull carries Serf state with StatusLTimes, LeftMembers and a non-empty event buffer',
    agents: [{ name: 'a', tags: { role: 'web' } }, { name: 'b' }],
    options: { disableCompression: true },
    recordSetup: false,
    run: async (ctx) => {
      ctx.relay.pauseRecording()
      ctx.note('event', { from: 'a', name: 'deploy', payload: 'v1', coalesce: false })
      await ctx.agent('a').event('deploy', 'v1', { coalesce: false })
      await sleep(500)
      ctx.note('leave', { node: 'b' })
      await ctx.agent('b').leave()
      await ctx.agent('a').waitForMember('b', (m) => m.status === 'left', 15_000)
      await ctx.agent('b').stop()
      const c = await ctx.start({ name: 'c', tags: { role: 'db' } })
      ctx.relay.resumeRecording()
      ctx.note('join', { node: 'c', seed: 'a' })
      await c.join([ctx.relay.relayAddr('a')])
      await sleep(1_500)
    },
  },
  {
    name: 'user-events',
    description: 'two agents, compression on: user events with and without coalescing, with and without payload',
    agents: [{ name: 'a' }, { name: 'b' }],
    options: {},
    recordSetup: false,
    run: async (ctx) => {
      const a = ctx.agent('a')
      const b = ctx.agent('b')
      ctx.note('event', { from: 'a', name: 'deploy', payload: 'hello-payload', coalesce: true })
      await a.event('deploy', 'hello-payload', { coalesce: true })
      ctx.note('event', { from: 'b', name: 'restart', payload: '', coalesce: false })
      await b.event('restart', undefined, { coalesce: false })
      ctx.note('event', { from: 'a', name: 'config', payload: 'k=v;'.repeat(60), coalesce: false })
      await a.event('config', 'k=v;'.repeat(60), { coalesce: false })
      await sleep(2_000)
    },
  },
  {
    name: 'query',
    description:
      'three agents, b and c answer query "whoami" through an event handler; queries from a: to all, with a node filter, and with a tag filter plus relay factor 1',
    agents: [
      { name: 'a' },
      { name: 'b', tags: { role: 'web' }, queryHandler: true },
      { name: 'c', tags: { role: 'db' }, queryHandler: true },
    ],
    options: {},
    recordSetup: false,
    run: async (ctx) => {
      const a = ctx.agent('a')
      const asks: Array<{ payload: string; nodes?: string[]; tags?: Record<string, string>; relayFactor?: number }> = [
        { payload: 'qpayload' },
        { payload: 'only-b', nodes: ['b'] },
        { payload: 'web-only', tags: { role: 'web' }, relayFactor: 1 },
      ]
      for (const ask of asks) {
        const entry = ctx.note('query', { from: 'a', name: 'whoami', timeoutMs: 1_500, ...ask })
        entry['result'] = await a.query('whoami', ask.payload, { timeoutMs: 1_500, ...ask })
      }
      await sleep(500)
    },
  },
  {
    name: 'leave',
    description: 'three agents; c runs `serf leave`: Serf leave intent, then memberlist dead with From == Node',
    agents: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    options: {},
    recordSetup: false,
    run: async (ctx) => {
      ctx.note('leave', { node: 'c' })
      await ctx.agent('c').leave()
      await ctx.agent('a').waitForMember('c', (m) => m.status === 'left', 15_000)
      await sleep(1_000)
    },
  },
  {
    name: 'failure',
    description: 'three agents; c is killed with SIGKILL: failed probes, indirect pings with nack, suspect, dead',
    agents: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    options: {},
    recordSetup: false,
    run: async (ctx) => {
      ctx.note('kill', { node: 'c', signal: 'SIGKILL' })
      await ctx.agent('c').stop({ signal: 'SIGKILL' })
      await ctx.agent('a').waitForMember('c', (m) => m.status === 'failed', 20_000)
      await sleep(1_000)
    },
  },
  {
    name: 'tags-update',
    description: 'two agents; a runs `serf tags -set zone=z2 -delete dc`: an alive with a higher incarnation and the new Meta',
    agents: [{ name: 'a', tags: { role: 'web', dc: 'x' } }, { name: 'b' }],
    options: {},
    recordSetup: false,
    run: async (ctx) => {
      ctx.note('tags', { node: 'a', tags: { role: 'web', zone: 'z2' } })
      await runSerf(['tags', `-rpc-addr=${ctx.agent('a').rpcAddr}`, '-set', 'zone=z2', '-delete', 'dc'])
      await ctx.agent('b').waitForMember('a', (m) => m.tags['zone'] === 'z2', 5_000)
      await sleep(1_000)
    },
  },
  {
    name: 'conflict',
    description:
      'a and b joined; a second agent named "b" (relay id b2) joins a from another address: alives for a known name at a new address, the _serf_conflict query and conflictResponse answers carrying a Member',
    // b has three tags so the Member.Tags map in conflict responses shows Go's random map order.
    agents: [{ name: 'a', tags: { role: 'web' } }, { name: 'b', tags: { role: 'db', dc: 'x', rack: 'r1' } }],
    options: {},
    recordSetup: false,
    run: async (ctx) => {
      const twin = await ctx.start({ name: 'b', id: 'b2', tags: { role: 'twin' } })
      ctx.note('join', { node: 'b2', name: 'b', seed: 'a' })
      await twin.join([ctx.relay.relayAddr('a')]).catch((err: unknown) => ctx.note('join-failed', { node: 'b2', error: String(err) }))
      await sleep(5_000)
    },
  },
  {
    name: 'stream-errors',
    description:
      'one agent (compression on); a raw test client sends a compress wrapper with corrupt LZW data, then one with an unknown Algo: the agent answers each with a (compressed) err message. Only the agent\'s replies are kept (client bytes are ours, not Go\'s). Note: a body that fails to decode (e.g. 06 c1) gets no err reply from 0.9.4, only a log line and a closed connection',
    agents: [{ name: 'a' }],
    options: {},
    recordSetup: false,
    join: false,
    run: async (ctx) => {
      for (const request of [BAD_LZW, BAD_ALGO]) {
        ctx.note('raw-request', { to: 'a', hex: request.toString('hex') })
        await rawExchange(ctx.relay.relayAddr('a'), request)
      }
    },
  },
  {
    name: 'stream-errors-encrypted',
    description:
      'one agent with -encrypt (known key); a raw test client sends a plaintext push/pull join with no nodes: the agent answers with an encrypted err. Only the agent\'s reply is kept',
    agents: [{ name: 'k' }],
    options: { encryptKey: CAPTURE_KEY },
    recordSetup: false,
    join: false,
    run: async (ctx) => {
      ctx.note('raw-request', { to: 'k', hex: PLAIN_EMPTY_JOIN.toString('hex') })
      await rawExchange(ctx.relay.relayAddr('k'), PLAIN_EMPTY_JOIN)
    },
  },
]

/** `[9]{Algo: 0, Buf: ff ff ff}`: LZW data with an invalid code (Go: "lzw: invalid code"). */
const BAD_LZW = Buffer.from('0982a4416c676f00a3427566a3ffffff', 'hex')
/** `[9]{Algo: 1, Buf: 00}`: an unknown compression algorithm. */
const BAD_ALGO = Buffer.from('0982a4416c676f01a3427566a100', 'hex')
/** `[6]{Join: true, Nodes: 0, UserStateLen: 0}`, written out by hand (msgpack fixmap of 3). */
const PLAIN_EMPTY_JOIN = Buffer.from('0683a44a6f696ec3a54e6f64657300ac5573657253746174654c656e00', 'hex')

/** Writes `bytes` on a fresh TCP connection and waits (bounded) for the peer to close it. */
function rawExchange(addr: string, bytes: Buffer): Promise<void> {
  const [host, port] = addr.split(':')
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) })
    const timer = setTimeout(() => socket.destroy(), 3_000)
    socket.on('connect', () => socket.write(bytes))
    socket.on('data', () => undefined)
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}


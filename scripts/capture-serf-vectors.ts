/**
 * Captures golden wire vectors from real Debian `serf agent`s on loopback.
 *
 *   npx tsx scripts/capture-serf-vectors.ts [--out test/fixtures/serf] [--only name,name]
 *
 * Every scenario starts a fresh cluster of two or three agents behind a recording UDP+TCP relay
 * (test/support/serf-relay.ts: each agent advertises its relay port, so every packet between agents
 * crosses the relay), drives it with the `serf` CLI, and keeps a representative subset of what it
 * saw: at most CAP_PER_SIGNATURE packets per message shape (outer type chain, e.g.
 * `crc(user:userEvent)`) and at most MAX_PER_SCENARIO per scenario. It writes one JSON file per
 * scenario plus README.md. The classification here is deliberately shallow (type bytes, AES-GCM
 * decryption of the known key); decoding proper is the codec's job and the golden tests check it.
 */
import { createDecipheriv, type DecipherGCM } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { connect } from 'node:net'
import { SerfAgent, ensureSerf, runSerf, stopAgents, waitUntil, type SerfAgentOptions } from '../test/support/serf.ts'
import { SerfRelay, type RelayRecord } from '../test/support/serf-relay.ts'
import { freeGossipPort } from '../test/support/ports.ts'

/** A fixed, published test key (bytes 0x00..0x1f) so encrypted vectors can be decrypted by tests. */
const CAPTURE_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64')
/** A second published key (bytes 0x20..0x3f), installed with `serf keys -install` in the encrypted scenario. */
const SECOND_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 32)).toString('base64')
const CAP_PER_SIGNATURE = 3
const MAX_PER_SCENARIO = 40

const MEMBERLIST_TYPES = ['ping', 'indirectPing', 'ack', 'suspect', 'alive', 'dead', 'pushPull', 'compound', 'user', 'compress', 'encrypt', 'nack', 'hasCrc', 'err']
const SERF_TYPES = ['leave', 'join', 'pushPull', 'userEvent', 'query', 'queryResponse', 'conflictResponse', 'keyRequest', 'keyResponse', 'relay']

interface AgentSpec {
  /** Serf node name (`-node`). */
  name: string
  /** Identity in the relay, the fixture's from/to and `ctx.agent()`; default `name`. Differs only for a duplicate name. */
  id?: string
  tags?: Record<string, string>
  queryHandler?: boolean
}

interface Context {
  relay: SerfRelay
  agents: Map<string, SerfAgent>
  /** Logs an action at the current relay time; the returned object may be completed later (results). */
  note: (action: string, detail?: Record<string, unknown>) => Record<string, unknown>
  start: (spec: AgentSpec) => Promise<SerfAgent>
  agent: (name: string) => SerfAgent
}

interface Scenario {
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

async function joinAndConverge(ctx: Context, names: string[]): Promise<void> {
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

const SCENARIOS: Scenario[] = [
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

/** Shallow classification of one packet or stream: the chain of type bytes. */
function signature(rec: RelayRecord, key: Buffer | undefined): string {
  const prefix = rec.transport === 'tcp' ? `tcp:${rec.role ?? '?'}:` : 'udp:'
  try {
    if (rec.transport === 'udp') {
      if (key === undefined) return prefix + packetSig(rec.bytes)
      return `${prefix}enc(${packetSig(gcmOpen(key, rec.bytes, Buffer.alloc(0)))})`
    }
    if (rec.bytes[0] === 10 && key !== undefined) {
      const len = rec.bytes.readUInt32BE(1)
      const inner = gcmOpen(key, rec.bytes.subarray(5, 5 + len), rec.bytes.subarray(0, 5))
      return `${prefix}enc(${packetSig(inner)})`
    }
    return prefix + packetSig(rec.bytes)
  } catch (err) {
    return `${prefix}unparsed(${(err as Error).message})`
  }
}

function gcmOpen(key: Buffer, data: Buffer, ad: Buffer): Buffer {
  if (data[0] !== 1) throw new Error(`encryption version ${String(data[0])}`)
  const nonce = data.subarray(1, 13)
  const tag = data.subarray(data.length - 16)
  const decipher = createDecipheriv(`aes-${key.length * 8}-gcm`, key, nonce) as DecipherGCM
  decipher.setAAD(ad)
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(data.subarray(13, data.length - 16)), decipher.final()])
}

function packetSig(buf: Buffer): string {
  const type = buf[0]
  if (type === undefined) return 'empty'
  if (type === 12) return `crc(${packetSig(buf.subarray(5))})`
  if (type === 7) {
    const n = buf[1] ?? 0
    const parts: string[] = []
    let offset = 2 + 2 * n
    for (let i = 0; i < n; i++) {
      const len = buf.readUInt16BE(2 + 2 * i)
      parts.push(packetSig(buf.subarray(offset, offset + len)))
      offset += len
    }
    return `compound[${parts.join(',')}]`
  }
  if (type === 9) return `compress(${packetSig(lzwInner(buf))})`
  if (type === 8) {
    const serf = buf[1]
    const name = serf === undefined ? 'empty' : (SERF_TYPES[serf] ?? `serf${serf}`)
    // Node- and tag-filtered queries differ from plain ones only in the body; keep them apart.
    const filtered = serf === 4 && !buf.includes(Buffer.from('a746696c74657273c0', 'hex')) ? '+filters' : ''
    // A query ack is a queryResponse with Flags 1 and no payload; keep acks and responses apart.
    const ack = (serf === 5 || serf === 9) && buf.includes(Buffer.from('a5466c61677301', 'hex')) ? '+ack' : ''
    return `user:${name}${filtered}${ack}`
  }
  return MEMBERLIST_TYPES[type] ?? `type${type}`
}

/**
 * The plaintext inside `[9]{Algo: 0, Buf: <raw>}`: finds the Buf raw string after the `a3 "Buf"`
 * key and runs Go's LZW reader rules (LSB first, 8-bit literals, clear 256, EOF 257, codes up to 12
 * bits). Only for classification; the codec under test has its own implementation.
 */
function lzwInner(buf: Buffer): Buffer {
  const at = buf.indexOf(Buffer.from('a3427566', 'hex'))
  if (at < 0) throw new Error('compress without Buf')
  let p = at + 4
  const marker = buf[p] ?? 0
  let len: number
  if (marker >= 0xa0 && marker <= 0xbf) (len = marker & 0x1f), (p += 1)
  else if (marker === 0xd9 || marker === 0xc4) (len = buf[p + 1] ?? 0), (p += 2)
  else if (marker === 0xda || marker === 0xc5) (len = buf.readUInt16BE(p + 1)), (p += 3)
  else if (marker === 0xdb || marker === 0xc6) (len = buf.readUInt32BE(p + 1)), (p += 5)
  else throw new Error(`Buf marker ${marker}`)
  return lzwDecode(buf.subarray(p, p + len))
}

function lzwDecode(input: Buffer): Buffer {
  const CLEAR = 256
  const EOF = 257
  const INVALID = 0xffff
  const prefix = new Uint16Array(4096)
  const suffix = new Uint8Array(4096)
  const out: number[] = []
  let width = 9
  let hi = EOF
  let overflow = 512
  let last = INVALID
  let bits = 0
  let nBits = 0
  let pos = 0
  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) throw new Error('lzw: unexpected end')
      bits |= (input[pos++] ?? 0) << nBits
      nBits += 8
    }
    const code = bits & ((1 << width) - 1)
    bits >>>= width
    nBits -= width
    if (code === CLEAR) {
      width = 9
      hi = EOF
      overflow = 512
      last = INVALID
      continue
    }
    if (code === EOF) return Buffer.from(out)
    if (code < CLEAR) {
      out.push(code)
      if (last !== INVALID) (suffix[hi] = code), (prefix[hi] = last)
    } else if (code <= hi) {
      const chain: number[] = []
      let c = code
      if (code === hi && last !== INVALID) {
        let head = last
        while (head >= CLEAR) head = prefix[head] ?? 0
        chain.push(head)
        c = last
      }
      while (c >= CLEAR) {
        chain.push(suffix[c] ?? 0)
        c = prefix[c] ?? 0
      }
      chain.push(c)
      for (let i = chain.length - 1; i >= 0; i--) out.push(chain[i] ?? 0)
      if (last !== INVALID) (suffix[hi] = c), (prefix[hi] = last)
    } else {
      throw new Error('lzw: invalid code')
    }
    last = code
    hi++
    if (hi >= overflow) {
      if (width === 12) (last = INVALID), hi--
      else (width++, (overflow = 1 << width))
    }
  }
}

function select(records: RelayRecord[], key: Buffer | undefined): Array<RelayRecord & { signature: string }> {
  const counts = new Map<string, number>()
  const kept: Array<RelayRecord & { signature: string }> = []
  const seen = new Set<string>()
  for (const rec of [...records].sort((x, y) => x.t - y.t)) {
    // A request from an unidentified initiator is our own test client's bytes, not Go's.
    if (rec.transport === 'tcp' && rec.role === 'request' && rec.from === undefined) continue
    // Byte-identical repeats (a gossip compound re-sent to the same peer) add nothing.
    const hex = rec.bytes.toString('hex')
    if (seen.has(hex)) continue
    seen.add(hex)
    const sig = signature(rec, key)
    const count = counts.get(sig) ?? 0
    if (count >= CAP_PER_SIGNATURE) continue
    counts.set(sig, count + 1)
    kept.push({ ...rec, signature: sig })
    if (kept.length >= MAX_PER_SCENARIO) break
  }
  return kept
}

function writeQueryHandler(dir: string): string {
  const path = join(dir, 'whoami.sh')
  writeFileSync(path, '#!/bin/sh\nprintf "i am %s" "$SERF_SELF_NAME"\n')
  chmodSync(path, 0o755)
  return path
}

async function runScenario(scenario: Scenario, workDir: string): Promise<Record<string, unknown>> {
  const relay = new SerfRelay()
  const agents = new Map<string, SerfAgent>()
  const specs = new Map<string, AgentSpec>()
  const actions: Array<Record<string, unknown>> = []
  const handler = writeQueryHandler(workDir)
  const ctx: Context = {
    relay,
    agents,
    note: (action, detail = {}) => {
      const entry = { t: relay.now(), action, ...detail }
      actions.push(entry)
      return entry
    },
    agent: (name) => {
      const agent = agents.get(name)
      if (agent === undefined) throw new Error(`no agent ${name}`)
      return agent
    },
    start: async (spec) => {
      const id = spec.id ?? spec.name
      const relayPort = await freeGossipPort()
      await relay.addNode(id, relayPort)
      const agent = await SerfAgent.start({
        ...scenario.options,
        name: spec.name,
        advertise: relay.relayAddr(id),
        ...(spec.tags ? { tags: spec.tags } : {}),
        ...(spec.queryHandler ? { eventHandlers: [`query:whoami=${handler}`] } : {}),
      })
      relay.registerAgent(id, agent.bindPort, agent.pid)
      agents.set(id, agent)
      specs.set(id, spec)
      return agent
    },
  }
  try {
    if (!scenario.recordSetup) relay.pauseRecording()
    for (const spec of scenario.agents) await ctx.start(spec)
    if (scenario.join !== false) {
      await joinAndConverge(
        ctx,
        scenario.agents.map((a) => a.name),
      )
    }
    relay.resumeRecording()
    await scenario.run(ctx)
    // Streams are recorded when both sides have closed; let the last ones finish first.
    await relay.idle(2_000)
  } finally {
    await stopAgents(agents.values())
    await relay.close()
  }
  const key = scenario.options.encryptKey === undefined ? undefined : Buffer.from(scenario.options.encryptKey, 'base64')
  const kept = select(relay.records, key)
  return {
    scenario: scenario.name,
    description: scenario.description,
    key: scenario.options.encryptKey ?? null,
    compression: scenario.options.disableCompression !== true,
    agents: [...agents.entries()].map(([id, agent]) => ({
      id,
      name: agent.name,
      advertise: agent.gossipAddr,
      bind: agent.bindAddr,
      tags: specs.get(id)?.tags ?? {},
      queryHandler: specs.get(id)?.queryHandler === true ? 'printf "i am %s" "$SERF_SELF_NAME"' : null,
    })),
    actions,
    stats: { recorded: relay.records.length, kept: kept.length, unknownUdpSources: relay.unknownUdpSources },
    vectors: kept.map((rec, i) => ({
      id: `${scenario.name}-${String(i).padStart(2, '0')}`,
      t: rec.t,
      transport: rec.transport,
      from: rec.from ?? null,
      to: rec.to,
      ...(rec.conn === undefined ? {} : { conn: rec.conn, role: rec.role }),
      signature: rec.signature,
      hex: rec.bytes.toString('hex'),
    })),
  }
}

function serfVersions(bin: string): { cli: string; debian: string } {
  const cli = execFileSync(bin, ['version'], { encoding: 'utf8' }).trim().split('\n').join(' / ')
  let debian = 'unknown'
  try {
    debian = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'serf'], { encoding: 'utf8' }).trim()
  } catch {
    // not a Debian system
  }
  return { cli, debian }
}

function readme(files: Array<Record<string, unknown>>, meta: Record<string, unknown>): string {
  const rows = files.map((f) => {
    const stats = f['stats'] as Record<string, number>
    return `| \`${String(f['scenario'])}.json\` | ${String(f['description'])} | ${stats['kept']} of ${stats['recorded']} | ${String(f['capturedAt'])} |`
  })
  return `# Golden wire vectors from real Serf agents

Captured by \`scripts/capture-serf-vectors.ts\`; regenerate with:

\`\`\`sh
bash scripts/install-deps.sh            # Debian serf
npx tsx scripts/capture-serf-vectors.ts # writes test/fixtures/serf/*.json and this README
\`\`\`

- Last run: ${String(meta['capturedAt'])} (UTC); each file records its own \`capturedAt\` (listed below).
  \`--only a,b\` recaptures some scenarios (\`--only none\`: none); this README is always rebuilt from every JSON file present.
- Serf: Debian package \`serf\` ${String(meta['debian'])}; \`serf version\` prints "${String(meta['cli'])}"
  (upstream never bumped version.go; the agent speaks Serf protocol 5, memberlist protocol 2).
- Host: Linux loopback, Node ${process.version}.

## How

Each scenario starts a fresh cluster of two or three \`serf agent\` processes on 127.0.0.1
(test/support/serf.ts). Agent N binds its own port but is started with \`-advertise 127.0.0.1:R_N\`,
where R_N is N's port on a recording relay (test/support/serf-relay.ts), so every UDP datagram and
TCP stream between agents crosses the relay. UDP is relayed like a symmetric NAT (a datagram from M
to N leaves the relay from M's relay port), so each agent sees its peers at their advertised
addresses. The sender of a datagram is known from its source port (memberlist sends from its bind
socket); the initiator of a TCP stream is found in /proc. The bytes are not modified.

Agents are driven with the serf CLI (\`serf join\`, \`serf event\`, \`serf query\`, \`serf leave\`) or
a signal; each file lists these as \`actions\` with times in ms since the relay started. Agents answer
query \`whoami\` with \`printf "i am %s" "$SERF_SELF_NAME"\` where \`queryHandler\` is set.

Per scenario at most ${CAP_PER_SIGNATURE} vectors per \`signature\` (the chain of type bytes, e.g.
\`udp:crc(user:userEvent)\`, computed shallowly: compressed content is not opened) and at most
${MAX_PER_SCENARIO} in all are kept, in time order. Encrypted scenarios use the published key in \`key\`
(base64 of the bytes 0x00..0x1f); their signatures were computed after AES-GCM decryption.

## Vector fields

\`id\`, \`t\` (ms), \`transport\` (\`udp\`: one datagram; \`tcp\`: everything one side wrote on one
connection), \`from\`/\`to\` (\`agents[].id\`: the node name, except \`b2\`, the second agent named
"b" in \`conflict.json\`; \`client\` is the raw test client of the stream-errors scenarios),
\`conn\` and \`role\` (\`request\` from the initiator, \`reply\` from the acceptor) for TCP,
\`signature\`, \`hex\`. Addresses inside the packets are the advertised (relay) addresses listed under
\`agents[].advertise\`; \`agents[].bind\` is where the agent really listened.

Go writes maps in random order. \`conflict.json\` gives b three tags so that the \`Member.Tags\` map of
the conflict responses shows it; that file was recaptured with \`--only conflict\` until the order
came out unsorted (here \`role, dc, rack\`). The golden test compares such maps semantically when the
bytes differ (an encoder may pick any key order); the codec keeps the decoded order, so today these
vectors match byte for byte as well.

## Files

| file | scenario | vectors kept of recorded | captured at (UTC) |
| --- | --- | --- | --- |
${rows.join('\n')}
`
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const outIndex = args.indexOf('--out')
  const outDir = resolve(outIndex >= 0 ? (args[outIndex + 1] ?? '') : 'test/fixtures/serf')
  const onlyIndex = args.indexOf('--only')
  const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',')) : undefined
  const bin = ensureSerf()
  const versions = serfVersions(bin)
  mkdirSync(outDir, { recursive: true })
  const workDir = mkdtempSync(join(tmpdir(), 'serf-capture-'))
  try {
    for (const scenario of SCENARIOS) {
      if (only !== undefined && !only.has(scenario.name)) continue
      const started = Date.now()
      const file = await runScenario(scenario, workDir)
      const out = { ...file, capturedAt: new Date().toISOString(), serf: versions }
      writeFileSync(join(outDir, `${scenario.name}.json`), `${JSON.stringify(out, null, 1)}\n`)
      const stats = file['stats'] as Record<string, number>
      console.log(`${scenario.name}: kept ${stats['kept']} of ${stats['recorded']} (${Date.now() - started} ms)`)
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
  // The README describes every fixture file present, including those this run did not recapture.
  const all = readdirSync(outDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(outDir, f), 'utf8')) as Record<string, unknown>)
  const order = new Map(SCENARIOS.map((sc, i) => [sc.name, i]))
  all.sort((x, y) => (order.get(String(x['scenario'])) ?? 99) - (order.get(String(y['scenario'])) ?? 99))
  writeFileSync(join(outDir, 'README.md'), readme(all, { capturedAt: new Date().toISOString(), ...versions }))
}

await main()

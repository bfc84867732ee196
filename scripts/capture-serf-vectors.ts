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
 * scenario plus README.md. Scenarios: capture-serf/scenarios.ts; the deliberately shallow
 * classification (type bytes after AES-GCM and LZW): capture-serf/signature.ts. Decoding proper is
 * the codec's job, and the golden tests (test/interop/golden-vectors.test.ts) check it.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { SerfAgent, ensureSerf, stopAgents } from '../test/support/serf.ts'
import { SerfRelay, type RelayRecord } from '../test/support/serf-relay.ts'
import { freeGossipPort } from '../test/support/ports.ts'
import { CAP_PER_SIGNATURE, MAX_PER_SCENARIO } from './capture-serf/limits.ts'
import { readme } from './capture-serf/readme.ts'
import { SCENARIOS, joinAndConverge, type AgentSpec, type Context, type Scenario } from './capture-serf/scenarios.ts'
import { signature } from './capture-serf/signature.ts'

/** Keeps a representative subset: time order, no byte-identical repeats, capped per signature. */
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

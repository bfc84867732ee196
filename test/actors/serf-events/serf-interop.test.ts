/**
 * serf-events with real `serf agent`s (Debian serf 0.9.4) on loopback: a Gossamer node (swim,
 * gossip-queue, member-manager and serf-events in their worker threads, real UDP/TCP, local
 * profile) and agents in one cluster.
 * - `serf event` reaches our event stream once, with name, payload and LTime;
 * - our user event runs an agent's event handler script (its output file is checked);
 * - our query collects the ack and the response of an agent that has a query handler.
 * The directions where we send UDP user messages (our acks and responses to an agent's query,
 * `serf reachability`) are in test/interop/events-mixed.test.ts; key rotation and name conflicts
 * in key-interop.test.ts and conflict-interop.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LOCAL_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { swim as swimActor } from '../../../actors/swim/definition.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { serfEvents } from '../../../actors/serf-events/definition.ts'
import type { SerfEventsEmitted } from '../../../actors/serf-events/protocol.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A Gossamer node in worker threads joined to `join`, with everything serf-events emits collected. */
async function gossamerNode(name: string, join: string[]) {
  const system = await ActorSystem.start({ node: name, logLevel: 'silent' })
  cleanups.push(async () => void (await system.shutdown({ drainTimeoutMs: 2_000 })))
  await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...LOCAL_SWIM_CONFIG, encrypted: false }) } })
  const mm = await system.spawn(memberManager, {
    id: 'member-manager',
    placement: 'worker',
    input: { config: { nodeName: name }, peers: { serfEvents: 'serf-events' } },
    dependsOn: ['gossip-queue'],
  })
  const se = await system.spawn(serfEvents, { id: 'serf-events', placement: 'worker', input: { nodeName: name }, dependsOn: ['gossip-queue', 'member-manager'] })
  const got: SerfEventsEmitted[] = []
  se.on('*', (e) => void got.push(e))
  await system.sync()
  await system.spawn(swimActor, {
    id: 'swim',
    placement: 'worker',
    input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', join },
    dependsOn: ['gossip-queue', 'member-manager', 'serf-events'],
  })
  return { system, mm, se, got }
}

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gossamer-events-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('serf-events with real serf agents (interop)', () => {
  it('an agent\'s `serf event` reaches our event stream once, with name, payload and LTime', async () => {
    const agent = await SerfAgent.start({ name: 'agent-e', profile: 'local' })
    cleanups.push(() => stopAgents([agent]))
    const ts = await gossamerNode('ts-e', [agent.gossipAddr])
    await agent.waitForMember('ts-e', (m) => m.status === 'alive', 15_000)
    await agent.event('deploy', 'v1', { coalesce: false })
    const ev = await waitUntil('the event reaches ts-e', () => ts.got.find((e) => e.type === 'serf.user-event' && e.name === 'deploy'), 10_000)
    expect(ev).toMatchObject({ type: 'serf.user-event', name: 'deploy', payload: new TextEncoder().encode('v1'), coalesce: false })
    expect(ev.type === 'serf.user-event' && ev.ltime).toBeGreaterThanOrEqual(1n)
    // Retransmitted copies (Serf queues each event several times) are deduped.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(ts.got.filter((e) => e.type === 'serf.user-event' && e.name === 'deploy')).toHaveLength(1)
  }, 60_000)

  it('our user event runs an agent\'s event handler script', async () => {
    const dir = scratch()
    const out = join(dir, 'handler.out')
    const script = join(dir, 'handler.sh')
    writeFileSync(script, `#!/bin/sh\necho "$SERF_EVENT $SERF_USER_EVENT $SERF_USER_LTIME $(cat)" >> ${out}\n`)
    chmodSync(script, 0o755)
    const agent = await SerfAgent.start({ name: 'agent-h', profile: 'local', eventHandlers: [`user:deploy=${script}`] })
    cleanups.push(() => stopAgents([agent]))
    const ts = await gossamerNode('ts-h', [agent.gossipAddr])
    await agent.waitForMember('ts-h', (m) => m.status === 'alive', 15_000)
    const sent = await ts.se.ask({ type: 'serf.user-event', name: 'deploy', payload: new TextEncoder().encode('v2'), coalesce: false }, { timeoutMs: 5_000 })
    const line = await waitUntil('the handler ran', () => (existsSync(out) ? readFileSync(out, 'utf8').trim() || undefined : undefined), 15_000)
    expect(line).toBe(`user deploy ${sent.ltime} v2`)
  }, 60_000)

  it('our query collects the ack and the response of an agent with a query handler', async () => {
    const dir = scratch()
    const script = join(dir, 'whoami.sh')
    writeFileSync(script, '#!/bin/sh\necho "i am $SERF_SELF_NAME"\n')
    chmodSync(script, 0o755)
    const agent = await SerfAgent.start({ name: 'agent-q', profile: 'local', eventHandlers: [`query:whoami=${script}`] })
    cleanups.push(() => stopAgents([agent]))
    const ts = await gossamerNode('ts-q', [agent.gossipAddr])
    await agent.waitForMember('ts-q', (m) => m.status === 'alive', 15_000)
    await waitUntil('ts-q knows agent-q', async () => ((await ts.se.ask({ type: 'serf.stats' })).numMembers === 2 ? true : undefined), 10_000)
    const started = await ts.se.ask({ type: 'serf.query', name: 'whoami', requestAck: true, filterNodes: ['agent-q'], timeoutMs: 4_000 }, { timeoutMs: 5_000 })
    await waitUntil('the query closes', () => ts.got.find((e) => e.type === 'serf.query-closed' && e.id === started.id), 10_000)
    const results = ts.got.filter((e) => e.type === 'serf.query-result' && e.id === started.id)
    expect(results.map((r) => r.type === 'serf.query-result' && `${r.kind}:${r.from}`).sort()).toEqual(['ack:agent-q', 'response:agent-q'])
    const resp = results.find((r) => r.type === 'serf.query-result' && r.kind === 'response')
    expect(resp?.type === 'serf.query-result' && new TextDecoder().decode(resp.payload!)).toBe('i am agent-q\n')
  }, 60_000)
})

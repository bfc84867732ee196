/**
 * The node under attack in `npm run fuzz:node` (scripts/fuzz-node.ts), in a process of its own so
 * that its RSS is the node's alone (the attacker's allocations stay in the fuzzer's process): one
 * node as in the README's cluster example (swim, gossip-queue, member-manager in worker threads).
 * Talks to the fuzzer over IPC:
 *   ← { type: 'start', name }    → { type: 'ready', address }, then { type: 'rss', rss } every 100 ms
 *   ← { type: 'taken' }          → { type: 'taken', taken } (datagrams swim has decoded or counted)
 *   ← { type: 'stop' }           → { type: 'report', ... } and exits
 */
import { ActorSystem, createSwimConfig, gossipQueue, gossipQueueConfigFor, memberManager, swim } from '../src/index.ts'
import type { SwimCountersView } from '../actors/swim/swim-context.ts'

export interface TargetReport {
  type: 'report'
  counters: SwimCountersView
  numNodes: number
  crashes: number
  escalations: number
  firstProblem: string
  /** Summed over the node's actors (ActorStats). */
  mailbox: { dropped: number; rejected: number; lost: number }
  /** RSS (bytes) with the node still running, after the attack. */
  rssEnd: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const send = (msg: unknown) => process.send?.(msg)

async function run(name: string): Promise<void> {
  const problems = { crashes: 0, escalations: 0, first: '' }
  const system = await ActorSystem.start({ node: name, logLevel: 'silent' })
  system.on((e) => {
    if (e.type === 'actor.crashed') problems.crashes++
    if (e.type === 'actor.escalated') problems.escalations++
    if (e.type === 'actor.crashed' || e.type === 'actor.escalated') problems.first ||= `${e.actor}: ${e.error.code} ${e.error.message}`
  })
  const shape = { ...createSwimConfig({}, 'local'), encrypted: false }
  await system.spawn(gossipQueue, { id: 'gossip-queue', input: { config: gossipQueueConfigFor(shape) } })
  await system.spawn(memberManager, { id: 'member-manager', input: { config: { nodeName: name } }, dependsOn: ['gossip-queue'] })
  const node = await system.spawn(swim, { id: 'swim', input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local' }, dependsOn: ['gossip-queue', 'member-manager'] })
  let address = ''
  while (address === '') {
    const { value, context } = await node.getSnapshot()
    if (value === 'failed') throw new Error(`target: ${(context.bindError ?? context.configError)?.message}`)
    if (value === 'running') address = context.address
    else await sleep(10)
  }
  send({ type: 'ready', address })
  const rss = setInterval(() => send({ type: 'rss', rss: process.memoryUsage().rss }), 100)

  await new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m?.type === 'stop') return resolve()
      if (m?.type !== 'taken') return
      node.getSnapshot().then(
        ({ context: { counters: c } }) => send({ type: 'taken', taken: c.packetsIn + c.packetsMalformed + c.packetsUndecryptable }),
        () => send({ type: 'taken', taken: -1 }),
      )
    })
  })
  clearInterval(rss)
  const { context } = await node.getSnapshot()
  const stats = await system.stats()
  const report: TargetReport = {
    type: 'report',
    counters: context.counters,
    numNodes: context.numNodes,
    crashes: problems.crashes,
    escalations: problems.escalations,
    firstProblem: problems.first,
    mailbox: { dropped: stats.reduce((n, s) => n + s.dropped, 0), rejected: stats.reduce((n, s) => n + s.rejected, 0), lost: stats.reduce((n, s) => n + s.lost, 0) },
    rssEnd: process.memoryUsage().rss,
  }
  await system.shutdown({ drainTimeoutMs: 2_000 })
  send(report)
}

process.once('message', (m: { type?: string; name?: string }) => {
  if (m?.type !== 'start' || typeof m.name !== 'string') {
    process.exitCode = 2
    return process.disconnect?.()
  }
  run(m.name).then(
    () => process.disconnect?.(),
    (err: unknown) => {
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) })
      process.exitCode = 1
      process.disconnect?.()
    },
  )
})

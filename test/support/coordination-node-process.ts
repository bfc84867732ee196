/**
 * One Gossamer node in its own process, for the node-level NATS fault tests and bench:election
 * (coordination-node.ts starts and drives it): a real `createNode` (inline placement, loopback,
 * `local` profile) with the `nats` coordination backend, taking part in one group through
 * `node.assignments(group, { partitions })` and standing for it through `node.election(group)`.
 *
 * argv[2] is one JSON object (NodeProcessSpec in coordination-node.ts). It prints one JSON line per
 * fact to stdout, each with `wall` (Date.now() when it was seen: processes on one machine share the
 * clock, so a parent can subtract its own Date.now() of a kill):
 *   {"type":"ready","address":..}, {"type":"assignment",term,version,leader,partitions,workers},
 *   {"type":"election",leader,term,isSelf,reason}, {"type":"campaigned",term},
 *   {"type":"resigning"} (just before a resign), {"type":"members",members:[{name,status}]},
 *   {"type":"error",op,code,message}, {"type":"stopped",reason}.
 * Commands on stdin, one a line: `campaign`, `resign`, `members`, `leave` (graceful, then exit).
 * The end of stdin (the parent went away) shuts the node down and exits 0.
 */
import { createInterface } from 'node:readline'
import { createNode } from '../../src/node/create-node.ts'
import { ClusterError } from '../../src/errors/index.ts'
import type { GossamerNode } from '../../src/node/api.ts'
import type { NodeProcessSpec } from './coordination-node.ts'

const spec = JSON.parse(process.argv[2] ?? '{}') as NodeProcessSpec
const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify({ ...o, wall: Date.now() }) + '\n')
const codeOf = (err: unknown) => (err instanceof ClusterError ? err.code : 'ERR_UNKNOWN')

/**
 * A restart binds the port the node had; until it is bound again an outgoing connection on this
 * machine may hold it as its ephemeral source port, so a bind refusal is tried again (up to 5 s).
 */
const BIND_ATTEMPTS = 20
const BIND_WAIT_MS = 250

async function start(): Promise<GossamerNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createNode({
        name: spec.name,
        bind: `127.0.0.1:${spec.port}`,
        profile: 'local',
        placement: 'inline',
        logLevel: 'silent',
        join: spec.join,
        coordination: { backend: 'nats', nats: { servers: spec.servers, bucket: spec.bucket, leaseMs: spec.leaseMs }, ...(spec.assignment === undefined ? {} : { assignment: spec.assignment }) },
      })
    } catch (err) {
      if (!(err instanceof ClusterError && err.code === 'ERR_SWIM_BIND') || attempt >= BIND_ATTEMPTS) throw err
      await new Promise((r) => setTimeout(r, BIND_WAIT_MS))
    }
  }
}

let node: GossamerNode
try {
  node = await start()
} catch (err) {
  out({ type: 'error', op: 'start', code: codeOf(err), message: String(err) })
  process.exit(1)
}
const group = spec.group
const election = node.election(group)
void node.stopped.then((s) => out({ type: 'stopped', reason: s.reason, ...(s.error === undefined ? {} : { code: s.error.code }) }))
void (async () => {
  for await (const c of election.changes()) out({ type: 'election', leader: c.leader, term: c.term, isSelf: c.isSelf, reason: c.reason })
})()
void (async () => {
  for await (const a of node.assignments(group, { partitions: spec.partitions })) {
    out({ type: 'assignment', term: a.term, version: a.version, leader: a.leader, partitions: a.partitions, workers: a.workers })
  }
})()
const campaign = (): void => {
  election.campaign().then(
    (term) => out({ type: 'campaigned', term }),
    (err: unknown) => out({ type: 'error', op: 'campaign', code: codeOf(err), message: String(err) }),
  )
}
if (spec.campaign) campaign()
out({ type: 'ready', address: node.address })

createInterface({ input: process.stdin }).on('line', (line) => {
  const fail = (op: string) => (err: unknown) => out({ type: 'error', op, code: codeOf(err), message: String(err) })
  if (line === 'campaign') campaign()
  else if (line === 'resign') {
    out({ type: 'resigning' })
    election.resign().catch(fail('resign'))
  } else if (line === 'members') {
    node.members().then((ms) => out({ type: 'members', members: ms.map((m) => ({ name: m.name, status: m.status })) }), fail('members'))
  } else if (line === 'leave') {
    node.leave().then(() => process.exit(0), fail('leave'))
  }
})
process.stdin.once('end', () => {
  node.shutdown().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})

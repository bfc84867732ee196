/**
 * How fast a new nats leader's assignment actor publishes its takeover: from the `election.changed`
 * that makes it the leader (the election's part is bench:election's) to the moment another
 * worker's actor emits the assignment of the new term, read from the store's watch. On a real
 * `nats-server -js` on loopback, two assignment actors inline (the node's placement for an agent),
 * real clocks, the default restart window (10 s: the takeover must not wait for it). Each run: the
 * current leader stops leading (as if killed: no resign, no store write), and the other one is
 * told it leads the next term; its path is the store read, the calculator's start, the takeover
 * computed inline, encoded, written with update-with-revision, then the watch to the worker.
 *
 *   npx tsx bench/assignment/takeover.ts [--json] [--runs N] [--partitions P]
 *
 * Prints a table of runs; with --json the last line is
 * `{"runs":..,"partitions":..,"takeoverP50Ms":..,"takeoverP99Ms":..,"takeoverMaxMs":..}`.
 */
import { ActorSystem } from '../../src/runtime/index.ts'
import { assignment } from '../../actors/assignment/definition.ts'
import { provideAssignmentStore } from '../../actors/assignment/io/provide-store.ts'
import type { AssignmentChangedMsg } from '../../actors/assignment/protocol.ts'
import { NatsServer } from '../../test/support/nats.ts'
import { leaderChange, member, memberEvent } from '../../test/actors/assignment/actor-support.ts'

const args = process.argv.slice(2)
const json = args.includes('--json')
const numberArg = (name: string, fallback: number) => {
  const i = args.indexOf(name)
  const v = i < 0 ? undefined : Number(args[i + 1])
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback
}
const RUNS = numberArg('--runs', 30)
const PARTITIONS = numberArg('--partitions', 1024)

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!
const round = (x: number) => Math.round(x * 100) / 100

const server = await NatsServer.start()
const system = await ActorSystem.start({ logLevel: 'silent' })
try {
  const names = ['n1', 'n2', 'n3']
  const nats = { servers: [server.url], bucket: 'bench-assignments' }
  const refs: Record<string, Awaited<ReturnType<typeof spawn>>> = {}
  const seen: Record<string, AssignmentChangedMsg['assignment'][]> = {}
  function spawn(n: string) {
    return system.spawn(assignment, {
      id: `assignment-${n}`,
      placement: 'inline',
      input: { self: n, backend: 'nats', nats, calculator: { coldStartWindowMs: 200, plannedScaleWindowMs: 200 }, peers: { election: 'none', swim: 'none' } },
      provide: provideAssignmentStore(),
    })
  }
  for (const n of names) {
    refs[n] = await spawn(n)
    seen[n] = []
    refs[n]!.on('assignment.changed', (e) => seen[n]!.push((e as AssignmentChangedMsg).assignment))
    refs[n]!.send(memberEvent('member-join', ...names.filter((m) => m !== n).map((m) => member(m))))
  }
  for (const n of names) {
    const r = await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: PARTITIONS })
    if (!r.ok) throw new Error(`register: ${r.error?.message}`)
  }
  const waitFor = async (pred: () => boolean, what: string, ms = 15_000) => {
    const end = performance.now() + ms
    while (!pred()) {
      if (performance.now() > end) {
        for (const n of names) console.error(n, JSON.stringify((await refs[n]!.getSnapshot()).context.stats), JSON.stringify(await refs[n]!.ask({ type: "assignment.view", group: "jobs" })))
        throw new Error(`not seen within ${ms} ms: ${what}`)
      }
      await new Promise((r) => setImmediate(r))
    }
  }
  // Term 1: n1 leads a cold start, which every worker accepts.
  for (const n of names) refs[n]!.send(leaderChange('jobs', 'n1', 1, n === 'n1'))
  await waitFor(() => names.every((n) => seen[n]!.at(-1)?.term === 1), 'the cold start')
  const rows: Array<{ run: number; leader: string; term: number; ms: number }> = []
  let leader = 'n1'
  for (let run = 1; run <= RUNS; run++) {
    const term = run + 1
    const next = names[run % names.length] === leader ? names[(run + 1) % names.length]! : names[run % names.length]!
    const watcher = names.find((n) => n !== leader && n !== next)!
    // The old leader stops leading silently (killed: it writes nothing more).
    refs[leader]!.send(leaderChange('jobs', null, term - 1, false))
    await new Promise((r) => setTimeout(r, 20))
    const start = performance.now()
    for (const n of names) refs[n]!.send(leaderChange('jobs', next, term, n === next))
    await waitFor(() => seen[watcher]!.at(-1)?.term === term, `term ${term} at ${watcher}`)
    rows.push({ run, leader: next, term, ms: performance.now() - start })
    leader = next
  }
  const ms = rows.map((r) => r.ms)
  console.log(`Takeover publication on nats (loopback), P = ${PARTITIONS}, 3 workers: from election.changed at the new leader to the new term at another worker (ms)`)
  console.table(rows.map((r) => ({ ...r, ms: round(r.ms) })))
  const out = { runs: rows.length, partitions: PARTITIONS, takeoverP50Ms: round(quantile(ms, 0.5)), takeoverP99Ms: round(quantile(ms, 0.99)), takeoverMaxMs: round(Math.max(...ms)) }
  console.log(`p50 ${out.takeoverP50Ms} ms, p99 ${out.takeoverP99Ms} ms, max ${out.takeoverMaxMs} ms (restart window 10 s: without the takeover the first publication came at its end)`)
  if (json) console.log(JSON.stringify(out))
} finally {
  await system.shutdown({ drainTimeoutMs: 5_000 })
  await server.stop()
}

/**
 * `gossamer reachability`: Serf's `reachability` verb: a `_serf_ping` query with acks to every
 * member, compared with the live members the agent knows.
 */
import type { CliIo } from '../io.ts'
import type { QueryRecord, RpcMember, RpcStream } from '../../rpc/client.ts'
import { EXIT_FAIL, EXIT_OK, onInterrupt, parseVerbArgs, untilAborted, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'check that every live member answers a ping query',
  rpc: true,
  flags: { verbose: { kind: 'bool' } },
  help: `Usage: gossamer reachability [options]

  Sends a ping query to every member and reports the live members that did not answer.

Options:

  -verbose                  print every ack and the timings
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

const TIPS = `This is often the result of incorrect bind and advertise settings, or of a
firewall that drops UDP or TCP traffic on the gossip port between some nodes.
Check that every node can reach every other on its advertised address (UDP and TCP),
that node names are unique, and that all nodes use the same encryption keys.`

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  return onInterrupt((signal) => runReachability(argv, io, env, signal))
}

export async function runReachability(argv: string[], io: CliIo, env: Env, signal?: AbortSignal, now: () => number = Date.now): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  const verbose = parsed.values['verbose'] === true
  return withAgent(parsed, io, async (client) => {
    let members: RpcMember[]
    try {
      members = await client.members()
    } catch (err) {
      say(io, `Error getting members: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    const live = new Set(members.filter((m) => m.status === 'alive').map((m) => m.name))
    io.out(`Total members: ${members.length}, live members: ${live.size}`)
    const start = now()
    let stream: RpcStream<QueryRecord>
    try {
      stream = await client.query({ name: '_serf_ping', payload: null, requestAck: true })
    } catch (err) {
      say(io, `Error sending query: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    io.out('Starting reachability test...')
    const acked = new Set<string>()
    let duplicates = false
    let lastAck = start
    const iterator = stream[Symbol.asyncIterator]()
    for (;;) {
      const next = await untilAborted(iterator.next(), signal)
      if (next === 'aborted') {
        stream.stop()
        io.out('Test interrupted')
        return EXIT_FAIL
      }
      if (next.done === true) break
      if (next.value.type !== 'ack') continue
      const from = next.value.from
      if (acked.has(from)) {
        duplicates = true
        io.out(`Duplicate response from '${from}'`)
        continue
      }
      acked.add(from)
      lastAck = now()
      if (verbose) io.out(`\tAck from '${from}'`)
    }
    if (verbose) io.out(`Query time: ${((now() - start) / 1000).toFixed(2)} sec, time to last response: ${((lastAck - start) / 1000).toFixed(2)} sec`)
    const missing = [...live].filter((n) => !acked.has(n))
    const extra = [...acked].filter((n) => !live.has(n))
    if (extra.length > 0) {
      io.out('Received more acks than live nodes! Acks from non-live nodes:')
      for (const n of extra) io.out(`\t${n}`)
      io.out('This can happen when a node was seen as failed but is still running.')
      io.out(TIPS)
      return EXIT_FAIL
    }
    if (missing.length > 0) {
      io.out('Received less acks than live nodes! Missing acks from:')
      for (const n of missing) io.out(`\t${n}`)
      io.out('Those nodes did not answer the ping query in time.')
      io.out(TIPS)
      return EXIT_FAIL
    }
    io.out('Successfully contacted all live nodes')
    if (duplicates) {
      io.out('Duplicate responses means there is a misconfiguration. Verify that node names are unique.')
      return EXIT_FAIL
    }
    return EXIT_OK
  })
}

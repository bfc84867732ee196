/**
 * `gossamer assignments GROUP`: the partitions the agent's worker owns in GROUP, with the
 * assignment's version, term and leader (Gossamer's own RPC command `gossamer-assignments`; the
 * agent takes part through `-assign GROUP=PARTITIONS`).
 */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, goJson, parseGroupVerbArgs, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: "print the agent's partitions in a coordination group (Gossamer agents only)",
  rpc: true,
  flags: { format: { kind: 'string', default: 'text' } },
  help: `Usage: gossamer assignments [options] GROUP

  Prints the partitions of GROUP that the agent's worker owns in the assignment in force, with
  its version, the leader that published it and its term. The agent takes part in a group
  when started with -assign GROUP=PARTITIONS[:WEIGHT].

Options:

  -format=text|json         output format (default text)
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

/** "0-3,7,9-10": runs of consecutive partitions. */
export function ranges(partitions: readonly number[]): string {
  const out: string[] = []
  for (let i = 0; i < partitions.length; ) {
    let j = i
    while (j + 1 < partitions.length && partitions[j + 1] === partitions[j]! + 1) j++
    out.push(i === j ? String(partitions[i]) : `${partitions[i]}-${partitions[j]}`)
    i = j + 1
  }
  return out.join(',')
}

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const args = parseGroupVerbArgs(spec, argv, io, env)
  if (typeof args === 'number') return args
  const { parsed, group, format } = args
  return withAgent(parsed, io, async (client) => {
    let a
    try {
      a = await client.assignments(group)
    } catch (err) {
      say(io, `Error querying agent: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    if (format === 'json') {
      io.out(goJson({ group: a.group, version: a.version, term: a.term, leader: a.leader, partitions: a.partitions, total_partitions: a.totalPartitions, workers: a.workers }))
      return EXIT_OK
    }
    if (a.version === 0) io.out(`${a.group}: no assignment yet`)
    else {
      io.out(`${a.group}: version ${a.version}, term ${a.term}, leader ${a.leader}, ${a.workers} workers`)
      io.out(`${a.partitions.length} of ${a.totalPartitions} partitions: ${a.partitions.length === 0 ? '(none)' : ranges(a.partitions)}`)
    }
    return EXIT_OK
  })
}

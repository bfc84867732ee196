/**
 * `gossamer leader GROUP`: the group's leader and term as a Gossamer agent knows them (Gossamer's
 * own RPC command `gossamer-leader`; a real `serf agent` answers "Unsupported command").
 */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, goJson, parseGroupVerbArgs, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: "print a coordination group's leader and term (Gossamer agents only)",
  rpc: true,
  flags: { format: { kind: 'string', default: 'text' } },
  help: `Usage: gossamer leader [options] GROUP

  Prints the leader of the election group GROUP and its term (the fencing token every
  assignment of the group carries), as the agent knows them. The agent must run with
  coordination (-election=membership|nats).

Options:

  -format=text|json         output format (default text)
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const args = parseGroupVerbArgs(spec, argv, io, env)
  if (typeof args === 'number') return args
  const { parsed, group, format } = args
  return withAgent(parsed, io, async (client) => {
    let v
    try {
      v = await client.leader(group)
    } catch (err) {
      say(io, `Error querying agent: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    if (format === 'json') io.out(goJson({ group: v.group, leader: v.leader, term: v.term, is_self: v.isSelf }))
    else io.out(v.leader === '' ? `${v.group}: no leader` : `${v.group}: ${v.leader} (term ${v.term}${v.isSelf ? ', this agent' : ''})`)
    return EXIT_OK
  })
}

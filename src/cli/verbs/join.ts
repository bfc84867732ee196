/** `gossamer join`: Serf's `join` verb: the agent joins the given addresses. */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, withAgent, say } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'Tell Serf agent to join cluster',
  rpc: true,
  flags: { replay: { kind: 'bool' } },
  help: `Usage: gossamer join [options] address ...

  Tells a running Serf agent (with "serf agent") to join the cluster
  by specifying at least one existing member.

Options:

  -replay                   Replay past user events.
  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  if (parsed.args.length === 0) {
    io.out('At least one address to join must be specified.')
    io.out('')
    io.out(spec.help)
    return EXIT_FAIL
  }
  return withAgent(parsed, io, async (client) => {
    try {
      const n = await client.join(parsed.args, parsed.values['replay'] === true)
      io.out(`Successfully joined cluster by contacting ${n} nodes.`)
      return EXIT_OK
    } catch (err) {
      say(io, `Error joining the cluster: ${(err as Error).message}`)
      return EXIT_FAIL
    }
  })
}

/** `gossamer join`: Serf's `join` verb: the agent joins the given addresses. */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'ask an agent to join other members',
  rpc: true,
  flags: { replay: { kind: 'bool' } },
  help: `Usage: gossamer join [options] address ...

  Asks the agent to join the cluster through each address (host, host:port, [v6]:port).

Options:

  -replay                   deliver user events older than the join too
${RPC_FLAGS_HELP}`,
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

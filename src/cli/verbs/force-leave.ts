/** `gossamer force-leave`: Serf's `force-leave` verb: a failed member becomes left (or is pruned). */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, withAgent, say } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'Forces a member of the cluster to enter the "left" state',
  rpc: true,
  flags: { prune: { kind: 'bool' } },
  help: `Usage: gossamer force-leave [options] name

  Forces a member of a Serf cluster to enter the "left" state. Note
  that if the member is still actually alive, it will eventually rejoin
  the cluster. This command is most useful for cleaning out "failed" nodes
  that are never coming back. If you do not force leave a failed node,
  Serf will attempt to reconnect to those failed nodes for some period of
  time before eventually reaping them.

Options:

  -prune                    Remove agent forcibly from list of members
  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  if (parsed.args.length !== 1) {
    io.out('A node name must be specified to force leave.')
    io.out('')
    io.out(spec.help)
    return EXIT_FAIL
  }
  return withAgent(parsed, io, async (client) => {
    try {
      await client.forceLeave(parsed.args[0]!, parsed.values['prune'] === true)
      return EXIT_OK
    } catch (err) {
      say(io, `Error force leaving: ${(err as Error).message}`)
      return EXIT_FAIL
    }
  })
}

/** `gossamer force-leave`: Serf's `force-leave` verb: a failed member becomes left (or is pruned). */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'mark a failed member as left (or remove it with -prune)',
  rpc: true,
  flags: { prune: { kind: 'bool' } },
  help: `Usage: gossamer force-leave [options] name

  Moves a failed member to "left" so the agent stops trying to reconnect to it. A member
  that is in fact alive comes back by itself.

Options:

  -prune                    erase the member from the list instead
${RPC_FLAGS_HELP}`,
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

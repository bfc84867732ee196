/** `gossamer leave`: Serf's `leave` verb: the agent leaves gracefully and shuts down. */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'ask an agent to leave the cluster gracefully and stop',
  rpc: true,
  flags: {},
  help: `Usage: gossamer leave [options]

  Asks the agent to leave the cluster gracefully; the agent then shuts down.

Options:

${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  return withAgent(parsed, io, async (client) => {
    try {
      await client.leave()
    } catch (err) {
      say(io, `Error leaving: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    io.out('Graceful leave complete')
    return EXIT_OK
  })
}

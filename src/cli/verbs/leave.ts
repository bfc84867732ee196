/** `gossamer leave`: Serf's `leave` verb: the agent leaves gracefully and shuts down. */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, withAgent, say } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'Gracefully leaves the Serf cluster and shuts down',
  rpc: true,
  flags: {},
  help: `Usage: gossamer leave

  Causes the agent to gracefully leave the Serf cluster and shutdown.

Options:

  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.`,
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

/** `gossamer event`: Serf's `event` verb: dispatches a user event. */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'send a user event to the cluster through an agent',
  rpc: true,
  flags: { coalesce: { kind: 'bool', default: true } },
  help: `Usage: gossamer event [options] name [payload]

  Asks the agent to send a user event with this name (and payload) to every member.

Options:

  -coalesce=true|false      let receivers that coalesce keep only the newest event of this
                            name (default true)
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  if (parsed.args.length < 1 || parsed.args.length > 2) {
    io.out(parsed.args.length < 1 ? 'An event name must be specified.' : 'Too many command line arguments. Only a name and payload must be specified.')
    io.out('')
    io.out(spec.help)
    return EXIT_FAIL
  }
  const [name, payload] = parsed.args as [string, string | undefined]
  const coalesce = parsed.values['coalesce'] === true
  return withAgent(parsed, io, async (client) => {
    try {
      await client.userEvent(name, payload === undefined ? null : new TextEncoder().encode(payload), coalesce)
    } catch (err) {
      say(io, `Error sending event: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    io.out(`Event '${name}' dispatched! Coalescing enabled: ${coalesce}`)
    return EXIT_OK
  })
}

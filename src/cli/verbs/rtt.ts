/** `gossamer rtt`: Serf's `rtt` verb: the round trip estimated from two nodes' network coordinates. */
import type { CliIo } from '../io.ts'
import type { RpcCoordinate } from '../../rpc/client.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'estimate the round trip time between two members',
  rpc: true,
  flags: {},
  help: `Usage: gossamer rtt [options] node1 [node2]

  Estimates the round trip time between two members from their network coordinates.
  Without node2, the agent's own node is used. Names are member names, not addresses.

Options:

${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  // Serf connects before it checks the arguments.
  return withAgent(parsed, io, async (client) => {
    const names = [...parsed.args]
    if (names.length < 1 || names.length > 2) {
      io.out('One or two node names must be specified')
      io.out('')
      io.out(spec.help)
      return EXIT_FAIL
    }
    if (names.length === 1) {
      try {
        names.push((await client.stats())['agent']?.['name'] ?? '')
      } catch (err) {
        say(io, `Error querying agent: ${(err as Error).message}`)
        return EXIT_FAIL
      }
    }
    const coords: RpcCoordinate[] = []
    for (const name of names) {
      let c: RpcCoordinate | undefined
      try {
        c = await client.getCoordinate(name)
      } catch (err) {
        say(io, `Error getting coordinates: ${(err as Error).message}`)
        return EXIT_FAIL
      }
      if (c === undefined) {
        io.out(`Could not find a coordinate for node ${JSON.stringify(name)}`)
        return EXIT_FAIL
      }
      coords.push(c)
    }
    io.out(`Estimated ${names[0]} <-> ${names[1]} rtt: ${(rttSeconds(coords[0]!, coords[1]!) * 1000).toFixed(3)} ms`)
    return EXIT_OK
  })
}

/** serf-rpc.md §2.3: ‖a−b‖ + both heights, with both adjustments added when that stays positive. */
export function rttSeconds(a: RpcCoordinate, b: RpcCoordinate): number {
  let sum = 0
  for (let i = 0; i < Math.max(a.vec.length, b.vec.length); i++) sum += ((a.vec[i] ?? 0) - (b.vec[i] ?? 0)) ** 2
  const d = Math.sqrt(sum) + a.height + b.height
  const adjusted = d + a.adjustment + b.adjustment
  return adjusted > 0 ? adjusted : d
}

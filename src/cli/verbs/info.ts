/** `gossamer info`: Serf's `info` verb: the agent's stats map, text or JSON. */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, goJson, parseVerbArgs, sortedKeys, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: "print the agent's figures (Serf's stats map)",
  rpc: true,
  flags: { format: { kind: 'string', default: 'text' } },
  help: `Usage: gossamer info [options]

  Prints the agent's figures: name, runtime, members and clocks, tags, event handlers.

Options:

  -format=text|json         output format (default text)
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  return withAgent(parsed, io, async (client) => {
    let stats: Record<string, Record<string, string>>
    try {
      stats = await client.stats()
    } catch (err) {
      say(io, `Error querying agent: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    const format = parsed.values['format'] as string
    if (format === 'json') {
      const sorted: Record<string, Record<string, string>> = {}
      for (const k of Object.keys(stats).sort()) sorted[k] = sortedKeys(stats[k]!)
      io.out(goJson(sorted))
      return EXIT_OK
    }
    if (format !== 'text') {
      io.out(`Encoding error: Invalid output format "${format}"`)
      return EXIT_FAIL
    }
    const lines: string[] = []
    for (const section of Object.keys(stats).sort()) {
      lines.push(`${section}:`)
      const inner = stats[section]!
      for (const k of Object.keys(inner).sort()) lines.push(`\t${k} = ${inner[k]}`)
    }
    io.out(lines.join('\n'))
    return EXIT_OK
  })
}

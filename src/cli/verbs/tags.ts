/** `gossamer tags`: Serf's `tags` verb: sets and deletes the agent's tags. */
import type { CliIo } from '../io.ts'
import { EXIT_FAIL, EXIT_OK, parseVerbArgs, splitTag, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: "set or delete an agent's tags",
  rpc: true,
  flags: { set: { kind: 'list' }, delete: { kind: 'list' } },
  help: `Usage: gossamer tags [options]

  Changes the agent's tags: deletes first, then sets (a key in both is set).

Options:

  -set KEY=VALUE            set a tag; repeatable
  -delete KEY               delete a tag; repeatable
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  const set = parsed.values['set'] as string[]
  const remove = parsed.values['delete'] as string[]
  if (set.length === 0 && remove.length === 0) {
    io.out(spec.help)
    return EXIT_FAIL
  }
  return withAgent(parsed, io, async (client) => {
    const tags: Record<string, string> = {}
    for (const t of set) {
      const kv = splitTag(t)
      if (kv === undefined) {
        io.out(`Error: Invalid tag: '${t}'`)
        return EXIT_FAIL
      }
      tags[kv[0]] = kv[1]
    }
    try {
      await client.updateTags(tags, remove)
    } catch (err) {
      say(io, `Error setting tags: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    io.out('Successfully updated agent tags')
    return EXIT_OK
  })
}

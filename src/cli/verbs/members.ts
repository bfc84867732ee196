/** `gossamer members`: Serf's `members` verb (serf-rpc.md §8.2): members-filtered, text or JSON. */
import type { CliIo } from '../io.ts'
import type { RpcMember } from '../../rpc/client.ts'
import { EXIT_FAIL, EXIT_OK, columnize, goJson, hostPort, parseVerbArgs, sortedKeys, splitTag, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'list the members an agent knows',
  rpc: true,
  flags: {
    detailed: { kind: 'bool' },
    format: { kind: 'string', default: 'text' },
    name: { kind: 'string' },
    status: { kind: 'string' },
    role: { kind: 'string' },
    tag: { kind: 'list' },
  },
  help: `Usage: gossamer members [options]

  Lists the members the agent knows, with their address, status and tags.

Options:

  -detailed                 add the protocol version columns
  -format=text|json         output format (default text)
  -name=REGEXP              only members whose name matches (anchored, RE2)
  -status=REGEXP            only members whose status matches (anchored, RE2)
  -tag KEY=REGEXP           only members whose tag KEY matches; repeatable
  -role=REGEXP              deprecated: the same as -tag role=REGEXP
${RPC_FLAGS_HELP}`,
}

export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  const tags: Record<string, string> = {}
  for (const t of parsed.values['tag'] as string[]) {
    const kv = splitTag(t)
    if (kv === undefined) {
      io.out(`Error: Invalid tag: '${t}'`)
      return EXIT_FAIL
    }
    tags[kv[0]] = kv[1]
  }
  const role = parsed.values['role'] as string
  if (role !== '') {
    io.out("Deprecation warning: 'Role' has been replaced with 'Tags'")
    tags['role'] = role
  }
  return withAgent(parsed, io, async (client) => {
    let members: RpcMember[]
    try {
      members = await client.membersFiltered({ tags, status: parsed.values['status'] as string, name: parsed.values['name'] as string })
    } catch (err) {
      say(io, `Error retrieving members: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    const format = parsed.values['format'] as string
    if (format === 'json') {
      io.out(goJson({ members: members.length === 0 ? null : members.map(jsonMember) }))
      return EXIT_OK
    }
    if (format !== 'text') {
      io.out(`Encoding error: Invalid output format "${format}"`)
      return EXIT_FAIL
    }
    const detailed = parsed.values['detailed'] === true
    io.out(formatMembers(members, detailed))
    return EXIT_OK
  })
}

/** Serf's text rows: `name  ip:port  status  k=v,...` (plus protocol columns with -detailed). */
export function formatMembers(members: readonly RpcMember[], detailed: boolean): string {
  const rows = members.map((m) => {
    const tags = Object.entries(m.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')
    const row = `${m.name}|${hostPort(m.addr, m.port)}|${m.status}|${tags}`
    return detailed ? `${row}|Protocol Version: ${m.delegateCur}|Available Protocol Range: [${m.delegateMin}, ${m.delegateMax}]` : row
  })
  return columnize(rows)
}

function jsonMember(m: RpcMember): object {
  return {
    name: m.name,
    addr: hostPort(m.addr, m.port),
    port: m.port,
    tags: sortedKeys(m.tags),
    status: m.status,
    protocol: { max: m.delegateMax, min: m.delegateMin, version: m.delegateCur },
  }
}

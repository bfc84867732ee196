/** `gossamer keys`: Serf's `keys` verb: install, use, remove or list the cluster's encryption keys. */
import type { CliIo } from '../io.ts'
import type { RpcKeyResult } from '../../rpc/client.ts'
import { EXIT_FAIL, EXIT_OK, columnize, parseVerbArgs, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: "install, use, remove or list the cluster's encryption keys",
  rpc: true,
  flags: { install: { kind: 'string' }, use: { kind: 'string' }, remove: { kind: 'string' }, list: { kind: 'bool' } },
  help: `Usage: gossamer keys [options]

  Changes the encryption keyring of every member, or lists the keys in use. Exactly one
  of the options below.

Options:

  -install=KEY              add a base64 key to every member's keyring
  -use=KEY                  make an installed key the primary one everywhere
  -remove=KEY               remove a key (not the primary) from every keyring
  -list                     show each key and how many members hold it
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

const ACTIONS = {
  install: { progress: 'Installing key on all members...', done: 'Successfully installed key!', error: 'Error installing key' },
  use: { progress: 'Changing primary key on all members...', done: 'Successfully changed primary key!', error: 'Error changing primary key' },
  remove: { progress: 'Removing key on all members...', done: 'Successfully removed key!', error: 'Error removing key' },
} as const

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  const chosen = (['install', 'use', 'remove'] as const).filter((a) => parsed.values[a] !== '')
  const list = parsed.values['list'] === true
  if (chosen.length + (list ? 1 : 0) > 1) {
    io.out('Only one of -install, -use, -remove, or -list allowed')
    return EXIT_FAIL
  }
  if (chosen.length === 0 && !list) {
    io.out(spec.help)
    return EXIT_FAIL
  }
  return withAgent(parsed, io, async (client) => {
    if (list) {
      io.out('==> Asking all members for installed keys...')
      let r: RpcKeyResult
      try {
        r = await client.listKeys()
      } catch (err) {
        say(io, `Failed to gather member keys: ${(err as Error).message}`)
        return EXIT_FAIL
      }
      if (r.error !== '') return failed(io, r, 'Failed to gather member keys')
      io.out('==> Keys gathered, listing cluster keys...')
      io.out('')
      io.out(columnize(Object.entries(r.keys ?? {}).map(([k, n]) => `${k} | [${n}/${r.numNodes}]`)))
      return EXIT_OK
    }
    const action = chosen[0]!
    const key = parsed.values[action] as string
    const text = ACTIONS[action]
    io.out(`==> ${text.progress}`)
    let r: RpcKeyResult
    try {
      r = action === 'install' ? await client.installKey(key) : action === 'use' ? await client.useKey(key) : await client.removeKey(key)
    } catch (err) {
      say(io, `${text.error}: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    if (r.error !== '') return failed(io, r, text.error)
    io.out(`==> ${text.done}`)
    return EXIT_OK
  })
}

function failed(io: CliIo, r: RpcKeyResult, prefix: string): number {
  const rows = Object.entries(r.messages).map(([node, msg]) => `failed: | ${node} | ${msg}`)
  // Serf prints the per-node rows (none: nothing), then always an empty line.
  if (rows.length > 0) io.out(columnize(rows))
  io.out('')
  io.out(`${prefix}: ${r.error}`)
  return EXIT_FAIL
}

/** `gossamer query`: Serf's `query` verb: sends a query and prints acks and responses until `done`. */
import type { CliIo } from '../io.ts'
import type { QueryRecord, RpcStream } from '../../rpc/client.ts'
import { EXIT_FAIL, EXIT_OK, goJson, onInterrupt, parseVerbArgs, sortedKeys, splitTag, untilAborted, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: 'send a query and print the acks and responses',
  rpc: true,
  flags: {
    node: { kind: 'list' },
    tag: { kind: 'list' },
    timeout: { kind: 'duration', default: 0n },
    'no-ack': { kind: 'bool' },
    'relay-factor': { kind: 'int', default: 0 },
    format: { kind: 'string', default: 'text' },
  },
  help: `Usage: gossamer query [options] name [payload]

  Sends a query through the agent and prints the acknowledgements and responses until
  the query's deadline.

Options:

  -format=text|json         output format (default text)
  -node=NAME                only this member answers; repeatable
  -tag KEY=REGEXP           only members whose tag KEY matches answer; repeatable
  -timeout=DURATION         Go duration, e.g. 5s (default: the agent's, from the cluster size)
  -no-ack                   do not ask for acknowledgements
  -relay-factor=N           relay each response through N other members (0-255)
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  return onInterrupt((signal) => runQuery(argv, io, env, signal))
}

/** The verb with an explicit interrupt signal (tests); an interrupt exits 1, as Serf's. */
export async function runQuery(argv: string[], io: CliIo, env: Env, signal?: AbortSignal): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  const filterTags: Record<string, string> = {}
  for (const t of parsed.values['tag'] as string[]) {
    const kv = splitTag(t)
    if (kv === undefined) {
      io.out(`Error: Invalid tag: '${t}'`)
      return EXIT_FAIL
    }
    filterTags[kv[0]] = kv[1]
  }
  if (parsed.args.length < 1 || parsed.args.length > 2) {
    io.out(parsed.args.length < 1 ? 'A query name must be specified.' : 'Too many command line arguments. Only a name and payload must be specified.')
    io.out('')
    io.out(spec.help)
    return EXIT_FAIL
  }
  const relay = parsed.values['relay-factor'] as number
  if (relay < 0 || relay > 255) {
    io.out('Relay factor must be between 0 and 255')
    return EXIT_FAIL
  }
  const [name, payload] = parsed.args as [string, string | undefined]
  const noAck = parsed.values['no-ack'] === true
  return withAgent(parsed, io, async (client) => {
    const format = parsed.values['format'] as string
    if (format !== 'text' && format !== 'json') {
      io.out(`Invalid format: ${format}`)
      return EXIT_FAIL
    }
    let stream: RpcStream<QueryRecord>
    try {
      stream = await client.query({
        name,
        payload: payload === undefined ? null : new TextEncoder().encode(payload),
        filterNodes: parsed.values['node'] as string[],
        filterTags,
        requestAck: !noAck,
        relayFactor: relay,
        timeoutNs: parsed.values['timeout'] as bigint,
      })
    } catch (err) {
      say(io, `Error sending query: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    const text = format === 'text'
    if (text) io.out(`Query '${name}' dispatched`)
    const acks: string[] = []
    const responses: Record<string, string> = {}
    const iterator = stream[Symbol.asyncIterator]()
    for (;;) {
      const next = await untilAborted(iterator.next(), signal)
      if (next === 'aborted') {
        stream.stop()
        return EXIT_FAIL
      }
      if (next.done === true) break
      const r = next.value
      if (r.type === 'ack') {
        acks.push(r.from)
        if (text) io.out(`Ack from '${r.from}'`)
      } else {
        const body = new TextDecoder().decode(r.payload ?? new Uint8Array())
        responses[r.from] = body
        if (text) io.out(`Response from '${r.from}': ${body.endsWith('\n') ? body.slice(0, -1) : body}`)
      }
    }
    if (text) {
      if (!noAck) io.out(`Total Acks: ${acks.length}`)
      io.out(`Total Responses: ${Object.keys(responses).length}`)
    } else io.out(goJson({ Acks: acks.length === 0 ? null : acks, Responses: sortedKeys(responses) }))
    return EXIT_OK
  })
}

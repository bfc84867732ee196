/**
 * `gossamer monitor`: Serf's `monitor` verb: the agent's log lines (its backlog first) and every
 * event, until interrupted (exit 0) or the agent goes away (exit 1).
 */
import type { CliIo } from '../io.ts'
import type { RpcStream, StreamRecord } from '../../rpc/client.ts'
import type { RpcValue } from '../../rpc/values.ts'
import { EXIT_FAIL, EXIT_OK, onInterrupt, parseVerbArgs, untilAborted, withAgent, say, RPC_FLAGS_HELP } from './common.ts'
import type { Env, VerbSpec } from './common.ts'

export const spec: VerbSpec = {
  summary: "stream an agent's log lines and events",
  rpc: true,
  flags: { 'log-level': { kind: 'string', default: 'INFO' } },
  help: `Usage: gossamer monitor [options]

  Prints the agent's recent log lines, then new lines and events as they happen, until
  interrupted. The level can be lower than the agent's own console level.

Options:

  -log-level=LEVEL          trace, debug, info, warn or err (default info)
${RPC_FLAGS_HELP}`,
}
export const summary = spec.summary

export async function run(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  return onInterrupt((signal) => runMonitor(argv, io, env, signal))
}

export async function runMonitor(argv: string[], io: CliIo, env: Env, signal?: AbortSignal): Promise<number> {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  return withAgent(parsed, io, async (client) => {
    let events: RpcStream<StreamRecord>
    let logs: RpcStream<string>
    try {
      events = await client.stream('*')
    } catch (err) {
      say(io, `Error starting stream: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    try {
      logs = await client.monitor(parsed.values['log-level'] as string)
    } catch (err) {
      say(io, `Error starting monitor: ${(err as Error).message}`)
      return EXIT_FAIL
    }
    const pump = async <T>(stream: AsyncIterable<T>, print: (item: T) => void): Promise<void> => {
      try {
        for await (const item of stream) print(item)
      } catch {
        // The connection ended: reported below as the remote side going away.
      }
    }
    const ended = Promise.race([pump(logs, (line) => io.out(line)), pump(events, (e) => io.out(formatEvent(e)))])
    const outcome = await untilAborted(ended, signal)
    events.stop()
    logs.stop()
    if (outcome === 'aborted') return EXIT_OK
    io.out('')
    io.out('Remote side ended the monitor! This usually means that the\nremote side has exited or crashed.')
    return EXIT_FAIL
  })
}

/** `Event Info:` and one `\t<Key>: <value>` line per record field, values as Go's %#v shows them. */
export function formatEvent(e: StreamRecord): string {
  const lines = ['Event Info:']
  for (const [k, v] of Object.entries(e.raw)) lines.push(`\t${k}: ${goValue(v, k)}`)
  return lines.join('\n')
}

function goValue(v: RpcValue, key: string): string {
  if (v === null) return '<nil>'
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'boolean') return String(v)
  if (typeof v === 'number' || typeof v === 'bigint') return key === 'Port' ? `0x${v.toString(16)}` : String(v)
  if (v instanceof Uint8Array) return `[]byte{${[...v].map((b) => `0x${b.toString(16)}`).join(', ')}}`
  if (Array.isArray(v)) return `[]interface {}{${v.map((x) => goValue(x, '')).join(', ')}}`
  const entries = Object.entries(v).map(([k, x]) => `"${k}":${goValue(x, k)}`)
  return `map[interface {}]interface {}{${entries.join(', ')}}`
}

/**
 * `gossamer decode [--key BASE64]... [--stream] HEX|-`: prints a memberlist/Serf packet (or, with
 * --stream, a TCP stream message) as one JSON object. With `-`, reads one hex string per line from
 * stdin and prints one JSON object per line, in order; a line that fails prints
 * `{"error":{"code","message"}}` and the exit code becomes 1. Blank lines are skipped.
 */
import type { CliIo } from './io.ts'
import { ClusterError } from '../errors/index.ts'
import { decodePacket, errorJson, fromHex, Keyring, readStream, toJson } from '../wire/index.ts'

export const summary = 'decode a memberlist/Serf packet or stream (hex) to JSON'

const USAGE = 'usage: gossamer decode [--key BASE64]... [--stream] HEX|-'

interface DecodeArgs {
  keys: string[]
  stream: boolean
  input: string
}

function usageError(message: string): ClusterError {
  return new ClusterError('ERR_CLI_USAGE', `${message}\n${USAGE}`)
}

export function parseDecodeArgs(argv: readonly string[]): DecodeArgs {
  const keys: string[] = []
  let stream = false
  let input: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--stream') stream = true
    else if (a === '--key') {
      const v = argv[++i]
      if (v === undefined) throw usageError('--key needs a value')
      keys.push(v)
    } else if (a.startsWith('--key=')) keys.push(a.slice('--key='.length))
    else if (a.startsWith('-') && a !== '-') throw usageError(`unknown option ${a}`)
    else if (input !== undefined) throw usageError('one HEX argument (or -) only')
    else input = a
  }
  if (input === undefined) throw usageError('missing HEX (or - to read lines from stdin)')
  return { keys, stream, input }
}

/** Decodes one hex string into its JSON object (throws a coded error on failure). */
export function decodeHexToJson(hex: string, options: { keyring: Keyring | null; stream: boolean }): object {
  const bytes = fromHex(hex)
  if (!options.stream) return toJson(decodePacket(bytes, { keyring: options.keyring }))
  // A stream carries one message; anything after it is reported, not silently dropped.
  const { node, bytesRead } = readStream(bytes, { keyring: options.keyring })
  const json = toJson(node)
  if (bytesRead < bytes.length) json['trailingBytes'] = bytes.length - bytesRead
  return json
}

/** A packet that fails to decode without keys but looks sealed (version byte 0/1, room for nonce and tag). */
function hintFor(hex: string, haveKeys: boolean, stream: boolean): string {
  if (haveKeys || stream) return ''
  const t = hex.replace(/\s+/g, '')
  const looksSealed = t.length >= 2 * 29 && (t.startsWith('00') || t.startsWith('01'))
  return looksSealed ? '\n(if the packet is encrypted, pass its key with --key BASE64)' : ''
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(USAGE)
    return 0
  }
  const args = parseDecodeArgs(argv)
  const keyring = args.keys.length === 0 ? null : Keyring.fromBase64(args.keys)
  const options = { keyring, stream: args.stream }
  if (args.input !== '-') {
    try {
      io.out(JSON.stringify(decodeHexToJson(args.input, options)))
      return 0
    } catch (err) {
      const { error } = errorJson(err) as { error: { code: string; message: string } }
      io.err(`gossamer decode: ${error.message} (${error.code})${hintFor(args.input, keyring !== null, args.stream)}`)
      return 1
    }
  }
  let failed = false
  for await (const line of io.lines()) {
    if (line.trim() === '') continue
    try {
      io.out(JSON.stringify(decodeHexToJson(line, options)))
    } catch (err) {
      failed = true
      io.out(JSON.stringify(errorJson(err)))
    }
  }
  return failed ? 1 : 0
}

/**
 * `gossamer decode [--key BASE64]... [--stream] HEX|-`: prints a memberlist/Serf packet (or, with
 * --stream, a TCP stream message) as one JSON object. With `-`, reads one hex string per line from
 * stdin and prints one JSON object per line, in order: line N of the output answers line N of the
 * input (a line that fails, a blank one included, prints `{"error":{"code","message"}}`).
 *
 * Exit status: 0 when everything decoded; 1 when an input did not decode or decoded with a nested
 * error (an invalid compound part, a Serf payload, tags or coordinate that did not decode: the
 * JSON is still printed and shows where); 2 for a usage error (unknown option, missing HEX, bad --key).
 */
import type { CliIo } from './io.ts'
import { ClusterError } from '../errors/index.ts'
import { decodePacket, errorJson, fromHex, jsonErrors, Keyring, readStream, toJson, WireCodecError } from '../wire/index.ts'
import type { Json, JsonErrorAt } from '../wire/index.ts'

export const summary = 'decode a memberlist/Serf packet or stream (hex) to JSON'

const USAGE = 'usage: gossamer decode [--key BASE64]... [--stream] HEX|-'

export const HELP = `${USAGE}

Decodes a memberlist/Serf UDP packet (or, with --stream, one TCP stream message) given as hex
and prints it as one JSON object.

  --key BASE64   a keyring key (16, 24 or 32 bytes, base64 as Serf prints it); repeat the
                 option for several keys
  --stream       decode a TCP stream message instead of a UDP packet
  -              read one hex string per line from stdin and print one JSON object per line,
                 in order; a line that fails (a blank line too) prints {"error":{"code","message"}}

exit status:
  0  everything decoded
  1  the input did not decode (its code is printed on stderr), or it decoded with a nested
     error: an "error" object inside the JSON (an invalid compound part, a Serf payload, tags
     or coordinate that did not decode); the JSON is still printed and shows where.
     With -, any line that failed or held a nested error.
  2  usage error: unknown option, missing HEX, a --key that is not a valid key`

/** Usage errors exit 2; these codes mark them. */
const USAGE_CODES: ReadonlySet<string> = new Set(['ERR_CLI_USAGE', 'ERR_WIRE_BAD_KEY'])

interface DecodeArgs {
  keys: string[]
  stream: boolean
  input: string
}

function usageError(message: string): ClusterError {
  return new ClusterError('ERR_CLI_USAGE', message)
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
export function decodeHexToJson(hex: string, options: { keyring: Keyring | null; stream: boolean }): { [key: string]: Json } {
  if (hex.trim() === '') throw new WireCodecError('ERR_WIRE_EMPTY_INPUT', 'no hex: the input is blank')
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

function describeNested(errors: readonly JsonErrorAt[]): string {
  const n = errors.length
  const list = errors.map((e) => `  at ${e.path}: ${e.code}: ${e.message}`).join('\n')
  return `gossamer decode: decoded with ${n} nested error${n === 1 ? '' : 's'}:\n${list}`
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(HELP)
    return 0
  }
  let args: DecodeArgs
  let keyring: Keyring | null
  try {
    args = parseDecodeArgs(argv)
    keyring = args.keys.length === 0 ? null : Keyring.fromBase64(args.keys)
  } catch (err) {
    if (!(err instanceof ClusterError) || !USAGE_CODES.has(err.code)) throw err
    io.err(`gossamer decode: ${err.message} (${err.code})\n${USAGE}`)
    return 2
  }
  const options = { keyring, stream: args.stream }
  if (args.input !== '-') {
    let json: { [key: string]: Json }
    try {
      json = decodeHexToJson(args.input, options)
    } catch (err) {
      const { error } = errorJson(err) as { error: { code: string; message: string } }
      io.err(`gossamer decode: ${error.message} (${error.code})${hintFor(args.input, keyring !== null, args.stream)}`)
      return 1
    }
    io.out(JSON.stringify(json))
    const nested = jsonErrors(json)
    if (nested.length === 0) return 0
    io.err(describeNested(nested))
    return 1
  }
  let failed = false
  for await (const line of io.lines()) {
    let json: { [key: string]: Json }
    try {
      json = decodeHexToJson(line, options)
      if (jsonErrors(json).length > 0) failed = true
    } catch (err) {
      failed = true
      json = errorJson(err)
    }
    io.out(JSON.stringify(json))
  }
  return failed ? 1 : 0
}

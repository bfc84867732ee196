/**
 * The message shapes of Serf's agent RPC (serf-rpc.md §1.3-§3): command names, which commands
 * carry a body, and strict decoders for request headers and bodies with go-msgpack's rules (string
 * fields take only `str`, integer fields any integer width but never a float, byte fields `bin` or
 * `str`, unknown keys ignored, a missing key is its zero value). A decode failure is an RpcError
 * ERR_RPC_DECODE: the agent then closes the connection without a reply, as Serf's does.
 */
import { MsgpackReader } from '../wire/msgpack/reader.ts'
import { RpcError } from './errors.ts'

/** IPC version both sides speak (min = max = 1). */
export const IPC_VERSION = 1

/** Every command, and whether a body object follows its header (serf-rpc.md §1.3). */
export const COMMANDS = {
  handshake: true,
  auth: true,
  event: true,
  'force-leave': true,
  join: true,
  'members-filtered': true,
  tags: true,
  stream: true,
  monitor: true,
  stop: true,
  query: true,
  respond: true,
  'install-key': true,
  'use-key': true,
  'remove-key': true,
  'get-coordinate': true,
  // Gossamer's own (gossamer-commands.ts): a real serf client never sends them.
  'gossamer-leader': true,
  'gossamer-assignments': true,
  members: false,
  leave: false,
  'list-keys': false,
  stats: false,
} as const satisfies Record<string, boolean>
export type CommandName = keyof typeof COMMANDS

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name)
}

/** A Seq as the client sent it: a number when it is a safe integer, else a bigint (u64). */
export type Seq = number | bigint

export interface RequestHeader {
  command: string
  seq: Seq
}

type FieldKind = 'str' | 'bytes' | 'int' | 'uint64' | 'bool' | 'strList' | 'strMap'
type FieldValue<K extends FieldKind> = K extends 'str'
  ? string
  : K extends 'bytes'
    ? Uint8Array | null
    : K extends 'int'
      ? number | bigint
      : K extends 'uint64'
        ? bigint
        : K extends 'bool'
          ? boolean
          : K extends 'strList'
            ? string[]
            : Record<string, string>
type Decoded<S extends Record<string, FieldKind>> = { [F in keyof S]: FieldValue<S[F]> }

/** The request bodies, field name -> kind (serf-rpc.md §3). */
export const BODIES = {
  handshake: { Version: 'int' },
  auth: { AuthKey: 'str' },
  event: { Name: 'str', Payload: 'bytes', Coalesce: 'bool' },
  'force-leave': { Node: 'str', Prune: 'bool' },
  join: { Existing: 'strList', Replay: 'bool' },
  'members-filtered': { Tags: 'strMap', Status: 'str', Name: 'str' },
  tags: { Tags: 'strMap', DeleteTags: 'strList' },
  stream: { Type: 'str' },
  monitor: { LogLevel: 'str' },
  stop: { Stop: 'uint64' },
  query: {
    FilterNodes: 'strList',
    FilterTags: 'strMap',
    RequestAck: 'bool',
    RelayFactor: 'int',
    Timeout: 'int',
    Name: 'str',
    Payload: 'bytes',
  },
  respond: { ID: 'uint64', Payload: 'bytes' },
  'install-key': { Key: 'str' },
  'use-key': { Key: 'str' },
  'remove-key': { Key: 'str' },
  'get-coordinate': { Node: 'str' },
  'gossamer-leader': { Group: 'str' },
  'gossamer-assignments': { Group: 'str' },
} as const satisfies Record<string, Record<string, FieldKind>>
export type BodyCommand = keyof typeof BODIES
export type RequestBody<C extends BodyCommand> = Decoded<(typeof BODIES)[C]>

function decodeError(what: string, err: unknown): RpcError {
  return new RpcError('ERR_RPC_DECODE', `decode failed: ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}

/** Decodes a request header `{Command, Seq}`. */
export function decodeRequestHeader(frame: Uint8Array): RequestHeader {
  const r = new MsgpackReader(frame)
  let command = ''
  let seq: Seq = 0
  try {
    const n = r.mapHeader('request header') ?? 0
    for (let i = 0; i < n; i++) {
      const key = r.key()
      if (key === 'Command') command = r.string('Command')
      else if (key === 'Seq') seq = readU64(r, 'Seq')
      else r.skip()
    }
  } catch (err) {
    throw decodeError('request header', err)
  }
  return { command, seq }
}

function readU64(r: MsgpackReader, field: string): Seq {
  const v = r.integer(field)
  if (v < 0) throw new RpcError('ERR_RPC_DECODE', `${field}: negative ${v} into uint64`)
  return v
}

/** Decodes the body of `command` with go-msgpack's typing rules. */
export function decodeBody<C extends BodyCommand>(command: C, frame: Uint8Array): RequestBody<C> {
  const schema = BODIES[command] as Record<string, FieldKind>
  const out: Record<string, unknown> = {}
  for (const [name, kind] of Object.entries(schema)) out[name] = zero(kind)
  const r = new MsgpackReader(frame)
  try {
    const n = r.mapHeader(`${command} body`) ?? 0
    for (let i = 0; i < n; i++) {
      const key = r.key()
      const kind = Object.hasOwn(schema, key) ? schema[key] : undefined
      if (kind === undefined) r.skip()
      else out[key] = readField(r, kind, key)
    }
  } catch (err) {
    throw decodeError(`${command} body`, err)
  }
  return out as RequestBody<C>
}

function zero(kind: FieldKind): unknown {
  switch (kind) {
    case 'str':
      return ''
    case 'bytes':
      return null
    case 'int':
      return 0
    case 'uint64':
      return 0n
    case 'bool':
      return false
    case 'strList':
      return []
    case 'strMap':
      return {}
  }
}

function readField(r: MsgpackReader, kind: FieldKind, field: string): unknown {
  switch (kind) {
    case 'str':
      return r.string(field)
    case 'bytes':
      return r.bytes(field)
    case 'int':
      return r.integer(field)
    case 'uint64':
      return r.u64(field)
    case 'bool':
      return r.bool(field)
    case 'strList': {
      const n = r.arrayHeader(field) ?? 0
      const list: string[] = []
      for (let i = 0; i < n; i++) list.push(r.string(`${field}[${i}]`))
      return list
    }
    case 'strMap': {
      const n = r.mapHeader(field) ?? 0
      const map: Record<string, string> = {}
      for (let i = 0; i < n; i++) {
        const k = r.key()
        map[k] = r.string(`${field}.${k}`)
      }
      return map
    }
  }
}

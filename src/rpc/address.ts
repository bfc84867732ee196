/** `host:port` / `[v6]:port` parsing for the RPC address (Go's net.SplitHostPort rules). */
import { RpcError } from './errors.ts'

export function parseHostPort(text: string, field: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text)
  if (m === null) throw new RpcError('ERR_RPC_BAD_ARGUMENT', `${field}: "${text}" is not host:port`)
  const port = Number(m[2])
  if (!Number.isInteger(port) || port > 65535) throw new RpcError('ERR_RPC_BAD_ARGUMENT', `${field}: port ${m[2]} is out of range`)
  return { host: m[1] === '' ? '127.0.0.1' : m[1]!, port }
}

/**
 * Why a join reached no one, per address (pure): each failed push/pull of a join becomes a coded
 * JoinAddressError whose message reads as memberlist's, e.g.
 * `Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused` (what `serf join`
 * prints inside its multierror). The node turns "none reached" into ERR_JOIN_FAILED.
 *
 * Our transport's errors carry Node's text (`connect ECONNREFUSED 127.0.0.1:1`); the errno names
 * are mapped to Go's wording. The wire's codes tell a key problem from a broken peer: a reply no key
 * opens (ERR_WIRE_DECRYPT), a plaintext reply while we encrypt (ERR_WIRE_ENCRYPTION_REQUIRED), or
 * an encrypted one while we do not.
 */
import type { JoinAddressError, JoinErrorCode } from '../member-manager/protocol.ts'

export type { JoinAddressError, JoinErrorCode }

/** How one push/pull of a join failed: a code and Go-like detail (what follows `Failed to join <ip>: `). */
export interface PushPullFailure {
  code: JoinErrorCode
  detail: string
}

/** Go's text for the errno names Node puts in a failed connect's message. */
const ERRNO_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/ECONNREFUSED/, 'connect: connection refused'],
  [/EHOSTUNREACH/, 'connect: no route to host'],
  [/ENETUNREACH/, 'connect: network is unreachable'],
  [/ECONNRESET/, 'read: connection reset by peer'],
  [/EADDRNOTAVAIL/, 'connect: cannot assign requested address'],
  [/timeout|ETIMEDOUT/i, 'i/o timeout'],
]

/** A dial that failed (the transport's error code and message). */
export function dialFailure(to: string, err: { code?: string; message: string } | undefined): PushPullFailure {
  const text = err?.message ?? 'dial failed'
  for (const [re, go] of ERRNO_TEXT) {
    if (re.test(text)) return { code: go === 'i/o timeout' ? 'ERR_JOIN_TIMEOUT' : 'ERR_JOIN_UNREACHABLE', detail: `dial tcp ${to}: ${go}` }
  }
  // Our own memory network says "connection refused" / "unreachable" without an errno.
  if (/refused/i.test(text)) return { code: 'ERR_JOIN_UNREACHABLE', detail: `dial tcp ${to}: connect: connection refused` }
  return { code: 'ERR_JOIN_UNREACHABLE', detail: `dial tcp ${to}: ${stripDialPrefix(text, to)}` }
}

/**
 * memberlist's wording of a stream it could not read (what handleConn puts in its errResp, and what
 * a joiner reports after "Reading remote state failed: "); undefined for failures that are not
 * about the bytes (closed, timeout, limits).
 */
export function streamErrorText(err: { code: string; message: string }): string | undefined {
  switch (err.code) {
    case 'ERR_WIRE_DECRYPT':
      return 'No installed keys could decrypt the message'
    case 'ERR_WIRE_ENCRYPTION_REQUIRED':
      return /no keyring/.test(err.message) ? 'Remote state is encrypted and encryption is not configured' : 'Encryption is configured but remote state is not encrypted'
    default:
      return err.code.startsWith('ERR_WIRE_') ? err.message : undefined
  }
}

/** Reading the peer's reply failed (a ClusterError's code and message from the stream reader). */
export function readFailure(err: { code: string; message: string }): PushPullFailure {
  switch (err.code) {
    case 'ERR_WIRE_DECRYPT':
    case 'ERR_WIRE_ENCRYPTION_REQUIRED':
      // The wire says which side is encrypted: an encrypted reply and no keyring here, or the reverse.
      return { code: 'ERR_JOIN_DECRYPT', detail: `Reading remote state failed: ${streamErrorText(err)!}` }
    case 'ERR_TRANSPORT_TIMEOUT':
      return { code: 'ERR_JOIN_TIMEOUT', detail: 'Reading remote state failed: i/o timeout' }
    case 'ERR_TRANSPORT_CLOSED':
      return { code: 'ERR_JOIN_CLOSED', detail: 'Reading remote state failed: EOF' }
    default:
      // An encrypted reply while we have no keyring reads as a message type we do not know.
      if (/encrypt/i.test(err.message)) return { code: 'ERR_JOIN_DECRYPT', detail: `Reading remote state failed: ${err.message}` }
      return { code: 'ERR_JOIN_PROTOCOL', detail: `Reading remote state failed: ${err.message}` }
  }
}

/** The peer answered with memberlist's errResp (it could not read us: often a key mismatch). */
export function remoteFailure(message: string): PushPullFailure {
  const code: JoinErrorCode = /encrypt|decrypt|keys?\b/i.test(message) ? 'ERR_JOIN_DECRYPT' : 'ERR_JOIN_REMOTE'
  return { code, detail: `Remote error: ${message}` }
}

/** `to` ("ip:port" or "[v6]:port") as memberlist's Join names it: the IP only. */
export function hostOf(to: string): string {
  if (to.startsWith('[')) {
    const end = to.indexOf(']')
    return end > 0 ? to.slice(1, end) : to
  }
  const colon = to.lastIndexOf(':')
  return colon > 0 && to.indexOf(':') === colon ? to.slice(0, colon) : to
}

/** The coded error of one address of a join. */
export function joinAddressError(address: string, f: PushPullFailure): JoinAddressError {
  return { address, code: f.code, message: `Failed to join ${hostOf(address)}: ${f.detail}` }
}

function stripDialPrefix(text: string, to: string): string {
  const prefix = `dial ${to}: `
  return text.startsWith(prefix) ? text.slice(prefix.length) : text
}

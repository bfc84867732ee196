/**
 * The live page's coded errors: an address it will not serve on without being told to, a port it
 * could not listen on. (A bad address text is an InvalidConfigError naming `inspect.addr`.)
 */
import { ClusterError } from '../../errors/index.ts'

/** A non-loopback address without `allowRemote` (`-ui-allow-remote`): the page shows the cluster to whoever reaches it. */
export class InspectRemoteRefusedError extends ClusterError {
  static override name = 'InspectRemoteRefusedError'
  constructor(addr: string) {
    super(
      'ERR_INSPECT_REMOTE_REFUSED',
      `inspect.addr ${addr} is not a loopback address: the live page shows the cluster's members and state to anyone who can reach it; set allowRemote (gossamer agent: -ui-allow-remote) to serve it there`,
      { details: { addr } },
    )
  }
}

/** The page's port could not be listened on (in use, not permitted, no such address). */
export class InspectListenError extends ClusterError {
  static override name = 'InspectListenError'
  constructor(addr: string, cause: unknown) {
    const errno = (cause as { code?: unknown } | null)?.code
    const why = errno === 'EADDRINUSE' ? 'the port is in use' : errno === 'EACCES' ? 'permission denied' : errno === 'EADDRNOTAVAIL' ? 'no such local address' : String((cause as Error)?.message ?? cause)
    super('ERR_INSPECT_LISTEN', `the live page cannot listen on ${addr}: ${why}`, { cause, details: { addr, ...(typeof errno === 'string' ? { errno } : {}) } })
  }
}

/** The 503 body's code when the page already has its maximum of live clients. */
export const TOO_MANY_CLIENTS = 'ERR_INSPECT_TOO_MANY_CLIENTS'

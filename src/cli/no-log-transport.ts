/**
 * What the bundled `gossamer` command has in place of pino's transport threads (the `thread-stream`
 * package; scripts/bundle-cli.mjs points pino's `require('thread-stream')` here).
 *
 * Why: pino loads its transport module, and with it `thread-stream`, `node:worker_threads` and
 * `node:assert`, whenever pino is loaded, though a transport runs only when `pino.transport()` or
 * a `transport` option asks for one. Gossamer never does: every thread writes its logs
 * synchronously to fd 1 (src/logging/root-logger.ts). Leaving the package out keeps those
 * built-in modules out of an inline agent (its resident-memory budget is 50 MB). Should a
 * transport ever be asked for, it fails here with a coded error instead of starting a thread.
 */
import { ClusterError } from '../errors/index.ts'

export class LogTransportUnavailableError extends ClusterError {
  constructor() {
    super('ERR_LOG_TRANSPORT_UNAVAILABLE', 'pino transports are not part of the gossamer command: its logs are written synchronously to fd 1')
  }
}

/** Stands where pino constructs a ThreadStream: constructing it throws. */
export class NoLogTransport {
  constructor() {
    throw new LogTransportUnavailableError()
  }
}

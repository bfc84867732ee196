/**
 * What the bundled `gossamer` command has in place of pino's transports (pino/lib/transport.js;
 * scripts/bundle-cli.mjs points pino's `require('./transport')` here).
 *
 * Why: pino loads its transport module, and with it `node:module`, `thread-stream`,
 * `node:worker_threads` and `node:assert`, whenever pino is loaded, though a transport runs only
 * when `pino.transport()` or a `transport` option asks for one. (node:module alone loads Node's
 * ES-module loader, which the CommonJS bin otherwise never starts.) Gossamer never does: every thread writes its logs
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

/** Stands for pino's `transport(options)` (pino.transport and the `transport` option): it throws. */
export function noLogTransport(): never {
  throw new LogTransportUnavailableError()
}

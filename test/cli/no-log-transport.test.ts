/**
 * What stands for pino's thread-stream in the bundled command (src/cli/no-log-transport.ts): asking
 * for a transport fails with a coded error instead of starting a thread.
 */
import { describe, expect, it } from 'vitest'
import { ClusterError } from '../../src/errors/index.ts'
import { LogTransportUnavailableError, NoLogTransport } from '../../src/cli/no-log-transport.ts'

describe('cli - no pino transport in the bundle', () => {
  it('constructing a transport stream throws ERR_LOG_TRANSPORT_UNAVAILABLE', () => {
    let thrown: unknown
    try {
      new NoLogTransport()
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(LogTransportUnavailableError)
    expect(thrown).toBeInstanceOf(ClusterError)
    expect((thrown as ClusterError).code).toBe('ERR_LOG_TRANSPORT_UNAVAILABLE')
    expect((thrown as Error).message).toMatch(/synchronously to fd 1/)
  })
})

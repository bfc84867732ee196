/**
 * What stands for pino's transport module in the bundled command (src/cli/no-log-transport.ts): asking
 * for a transport fails with a coded error instead of starting a thread.
 */
import { describe, expect, it } from 'vitest'
import { ClusterError } from '../../src/errors/index.ts'
import { LogTransportUnavailableError, noLogTransport } from '../../src/cli/no-log-transport.ts'

describe('cli - no pino transport in the bundle', () => {
  it('asking for a transport throws ERR_LOG_TRANSPORT_UNAVAILABLE', () => {
    let thrown: unknown
    try {
      noLogTransport()
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(LogTransportUnavailableError)
    expect(thrown).toBeInstanceOf(ClusterError)
    expect((thrown as ClusterError).code).toBe('ERR_LOG_TRANSPORT_UNAVAILABLE')
    expect((thrown as Error).message).toMatch(/synchronously to fd 1/)
  })
})

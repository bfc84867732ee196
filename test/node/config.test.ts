/**
 * createNode's options are checked in one place (src/node/config.ts): every bad value is an
 * InvalidConfigError whose `details.field` names the option, before anything starts.
 */
import { describe, expect, it } from 'vitest'
import { ClusterError } from '../../src/errors/index.ts'
import { resolveNodeConfig } from '../../src/node/config.ts'
import type { NodeOptions } from '../../src/node/api.ts'

const KEY16 = Buffer.alloc(16, 7).toString('base64')

function fieldOf(options: unknown): string {
  try {
    resolveNodeConfig(options as NodeOptions)
  } catch (err) {
    expect(err).toBeInstanceOf(ClusterError)
    expect((err as ClusterError).code).toBe('ERR_INVALID_CONFIG')
    return String((err as ClusterError).details?.['field'])
  }
  throw new Error('no error')
}

describe('resolveNodeConfig', () => {
  it("gives serf agent's defaults", () => {
    const c = resolveNodeConfig({ name: 'n1' })
    expect(c.bind).toMatchObject({ host: '0.0.0.0', port: 7946 })
    expect(c.advertise).toBeUndefined()
    expect(c).toMatchObject({ profile: 'lan', protocol: 5, placement: 'workers', logLevel: 'info', leaveTimeoutMs: 5000, join: [], keys: [], replay: false })
    expect(c.coalesce).toEqual({ members: true, userEvents: true })
    expect(c).toMatchObject({
      reconnectIntervalMs: 30_000,
      reconnectTimeoutMs: 86_400_000,
      tombstoneTimeoutMs: 86_400_000,
      nameConflictResolution: true,
      compression: true,
      querySizeLimit: 1024,
      queryResponseSizeLimit: 1024,
      userEventSizeLimit: 512,
    })
    expect(resolveNodeConfig(undefined).name.length).toBeGreaterThan(0) // the host name
  })

  it('reads bind and advertise as ip:port, [v6]:port or a bare IP (port 7946, or the bind port)', () => {
    expect(resolveNodeConfig({ name: 'n', bind: '127.0.0.1:0' }).bind).toMatchObject({ host: '127.0.0.1', port: 0 })
    expect(resolveNodeConfig({ name: 'n', bind: '[::1]:8000' }).bind).toMatchObject({ host: '::1', port: 8000 })
    expect(resolveNodeConfig({ name: 'n', bind: '10.0.0.1' }).bind.port).toBe(7946)
    expect(resolveNodeConfig({ name: 'n', bind: '0.0.0.0:9000', advertise: '10.1.2.3' }).advertise).toMatchObject({ host: '10.1.2.3', port: 9000 })
  })

  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'a\u0001b' }, 'name'],
    [{ name: 'x'.repeat(513) }, 'name'],
    [{ name: 'n', bind: 'localhost:7946' }, 'bind'],
    [{ name: 'n', bind: '127.0.0.1:70000' }, 'bind'],
    [{ name: 'n', bind: 7946 }, 'bind'],
    [{ name: 'n', advertise: '0.0.0.0:7946' }, 'advertise'],
    [{ name: 'n', advertise: 'host' }, 'advertise'],
    [{ name: 'n', profile: 'fast' }, 'profile'],
    [{ name: 'n', protocol: 1 }, 'protocol'],
    [{ name: 'n', protocol: 6 }, 'protocol'],
    [{ name: 'n', tags: { role: 5 } }, 'tags.role'],
    [{ name: 'n', tags: 'role=web' }, 'tags'],
    [{ name: 'n', tags: { big: 'x'.repeat(600) } }, 'tags'],
    [{ name: 'n', join: ['127.0.0.1:99999'] }, 'join[0]'],
    [{ name: 'n', join: '127.0.0.1' }, 'join'],
    [{ name: 'n', retryJoin: { addresses: [] } }, 'retryJoin.addresses'],
    [{ name: 'n', retryJoin: { addresses: ['127.0.0.1'], intervalMs: 0 } }, 'retryJoin.intervalMs'],
    [{ name: 'n', retryJoin: { addresses: ['127.0.0.1'], maxAttempts: -1 } }, 'retryJoin.maxAttempts'],
    [{ name: 'n', retryJoin: { addresses: ['127.0.0.1'], every: 5 } }, 'retryJoin.every'],
    [{ name: 'n', keys: ['not base64!'] }, 'keys[0]'],
    [{ name: 'n', keys: [KEY16, Buffer.alloc(20).toString('base64')] }, 'keys[1]'],
    [{ name: 'n', keys: [KEY16], keyringFile: 'k.json' }, 'keys'],
    [{ name: 'n', keyringFile: '' }, 'keyringFile'],
    [{ name: 'n', snapshotPath: 3 }, 'snapshotPath'],
    [{ name: 'n', replay: 'yes' }, 'replay'],
    [{ name: 'n', placement: 'threads' }, 'placement'],
    [{ name: 'n', codeCache: '' }, 'codeCache'],
    [{ name: 'n', codeCache: true }, 'codeCache'],
    [{ name: 'n', coalesce: { members: 1 } }, 'coalesce.members'],
    [{ name: 'n', logLevel: 'verbose' }, 'logLevel'],
    [{ name: 'n', leaveTimeoutMs: -1 }, 'leaveTimeoutMs'],
    [{ name: 'n', bnid: '127.0.0.1' }, 'options.bnid'],
    [{ name: 'n', reconnectIntervalMs: 0 }, 'reconnectIntervalMs'],
    [{ name: 'n', reconnectTimeoutMs: -1 }, 'reconnectTimeoutMs'],
    [{ name: 'n', tombstoneTimeoutMs: '24h' }, 'tombstoneTimeoutMs'],
    [{ name: 'n', nameConflictResolution: 0 }, 'nameConflictResolution'],
    [{ name: 'n', compression: 'off' }, 'compression'],
    [{ name: 'n', querySizeLimit: 0 }, 'querySizeLimit'],
    [{ name: 'n', queryResponseSizeLimit: 1.5 }, 'queryResponseSizeLimit'],
    [{ name: 'n', userEventSizeLimit: 9217 }, 'userEventSizeLimit'],
  ])('refuses %j, naming %s', (options, field) => {
    expect(fieldOf(options)).toBe(field)
  })

  it('has no code cache unless given a folder', () => {
    expect(resolveNodeConfig({ name: 'n' }).codeCache).toBeUndefined()
    expect(resolveNodeConfig({ name: 'n', codeCache: false }).codeCache).toBeUndefined()
    expect(resolveNodeConfig({ name: 'n', codeCache: '/var/cache/g' }).codeCache).toBe('/var/cache/g')
  })

  it("takes Serf's event-layer limits up to their caps", () => {
    expect(resolveNodeConfig({ name: 'n', querySizeLimit: 4096, queryResponseSizeLimit: 2048, userEventSizeLimit: 9216 })).toMatchObject({
      querySizeLimit: 4096,
      queryResponseSizeLimit: 2048,
      userEventSizeLimit: 9216,
    })
  })

  it('takes tags up to the 512-byte Meta limit and keys of 16, 24 and 32 bytes', () => {
    // 0xff + map header (1) + "k" (2) + a str16 value (3 + n) = 512 at n = 505.
    expect(resolveNodeConfig({ name: 'n', tags: { k: 'v'.repeat(505) } }).tags['k']).toHaveLength(505)
    expect(fieldOf({ name: 'n', tags: { k: 'v'.repeat(506) } })).toBe('tags')
    const keys = [16, 24, 32].map((n) => Buffer.alloc(n, 1).toString('base64'))
    expect(resolveNodeConfig({ name: 'n', keys }).keys).toEqual(keys)
  })
})

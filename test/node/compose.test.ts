/**
 * What swim is given for a node's bind and advertise options (Serf's -bind / -advertise): the
 * advertised address, the bound one when it differs, memberlist at protocol 2, and retry-join.
 */
import { describe, expect, it } from 'vitest'
import { resolveNodeConfig } from '../../src/node/config.ts'
import { memberAddress, memberManagerConfigOf, serfEventsInitOf, swimInputOf } from '../../src/node/compose.ts'
import { createSerfEventsConfig } from '../../actors/serf-events/config.ts'
import { createSerfConfig } from '../../actors/member-manager/config.ts'
import { createSwimConfig } from '../../actors/swim/config.ts'

const LOCAL_IP = Uint8Array.of(10, 0, 0, 9)

describe('swimInputOf', () => {
  it('advertises the bind address itself, with no separate bind, when it is a real address', () => {
    const input = swimInputOf(resolveNodeConfig({ name: 'n', bind: '127.0.0.1:0' }), [], Uint8Array.of(127, 0, 0, 1))
    expect(input).toMatchObject({ name: 'n', addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'lan', join: [] })
    expect(input.bind).toBeUndefined()
    expect(input.config).toMatchObject({ protocolVersion: 2, keys: null })
  })

  it('binds every interface and advertises the given (or found) address and port', () => {
    const found = swimInputOf(resolveNodeConfig({ name: 'n', bind: '0.0.0.0:7000' }), [], LOCAL_IP)
    expect(found).toMatchObject({ addr: LOCAL_IP, port: 7000, bind: '0.0.0.0:7000' })
    const given = swimInputOf(resolveNodeConfig({ name: 'n', bind: '[::]:7000', advertise: '192.168.1.5:8000' }), [], Uint8Array.of(192, 168, 1, 5))
    expect(given).toMatchObject({ port: 8000, bind: '[::]:7000' })
  })

  it('passes keys and Serf\'s retry-join to swim', () => {
    const key = Buffer.alloc(16, 1).toString('base64')
    const c = resolveNodeConfig({ name: 'n', profile: 'local', retryJoin: { addresses: ['10.0.0.1', '10.0.0.2:7000'], intervalMs: 5000, maxAttempts: 2 } })
    const input = swimInputOf(c, [key], LOCAL_IP)
    expect(input.preset).toBe('local')
    expect(input.config).toMatchObject({ keys: [key], retryJoin: ['10.0.0.1', '10.0.0.2:7000'], retryJoinIntervalMs: 5000, retryJoinMax: 2 })
  })

  it('passes compression to swim (memberlist\'s EnableCompression), on by default', () => {
    expect(createSwimConfig(swimInputOf(resolveNodeConfig({ name: 'n' }), [], LOCAL_IP).config ?? {}).enableCompression).toBe(true)
    expect(createSwimConfig(swimInputOf(resolveNodeConfig({ name: 'n', compression: false }), [], LOCAL_IP).config ?? {}).enableCompression).toBe(false)
  })

  it('writes member addresses as join addresses are written', () => {
    expect(memberAddress(Uint8Array.of(127, 0, 0, 1), 7946)).toBe('127.0.0.1:7946')
    expect(memberAddress(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 7946)).toBe('[::1]:7946')
  })
})

describe('memberManagerConfigOf', () => {
  it("gives member-manager the node's reconnect, reap and name-conflict settings, as member-manager reads them", () => {
    const c = resolveNodeConfig({ name: 'n', reconnectIntervalMs: 10_000, reconnectTimeoutMs: 60_000, tombstoneTimeoutMs: 120_000, nameConflictResolution: false, leaveTimeoutMs: 2000 })
    expect(createSerfConfig(memberManagerConfigOf(c))).toMatchObject({
      nodeName: 'n',
      broadcastTimeoutMs: 2000,
      reconnectIntervalMs: 10_000,
      reconnectTimeoutMs: 60_000,
      tombstoneTimeoutMs: 120_000,
      enableNameConflictResolution: false,
    })
    // Serf's defaults when none is given: 30 s, 24 h, 24 h, resolution on.
    expect(createSerfConfig(memberManagerConfigOf(resolveNodeConfig({ name: 'n' })))).toMatchObject({
      reconnectIntervalMs: 30_000,
      reconnectTimeoutMs: 86_400_000,
      tombstoneTimeoutMs: 86_400_000,
      enableNameConflictResolution: true,
    })
  })
})

describe('serfEventsInitOf', () => {
  it("gives serf-events the node's query, response and user event size limits (Serf's defaults when none is given)", () => {
    const c = resolveNodeConfig({ name: 'n', querySizeLimit: 2048, queryResponseSizeLimit: 4096, userEventSizeLimit: 9216 })
    expect(createSerfEventsConfig(serfEventsInitOf(c, 200))).toMatchObject({ querySizeLimit: 2048, queryResponseSizeLimit: 4096, userEventSizeLimit: 9216 })
    expect(createSerfEventsConfig(serfEventsInitOf(resolveNodeConfig({ name: 'n' }), 200))).toMatchObject({ querySizeLimit: 1024, queryResponseSizeLimit: 1024, userEventSizeLimit: 512 })
  })
})

import { describe, expect, it } from 'vitest'
import { describeNameConflict, hostPort } from '../../../actors/member-manager/name-conflict.ts'
import { node } from './fixtures.ts'

const other = { addr: Uint8Array.of(10, 0, 0, 9), port: 8000 }

describe('describeNameConflict', () => {
  it('reports a conflict over another node as a warning naming both addresses', () => {
    const e = describeNameConflict('self', true, { ...node('web-1'), incarnation: 4 }, other)
    expect(e).toMatchObject({ type: 'member.conflict', name: 'web-1', local: false, existing: { port: 7946, incarnation: 4 }, other: { port: 8000 } })
    expect(e.existing.addr).toEqual(Uint8Array.of(127, 0, 0, 1))
    expect(e.other.addr).toEqual(other.addr)
    expect(e.other.addr).not.toBe(other.addr) // a copy, not swim's buffer
    expect(e.warning.code).toBe('ERR_MEMBER_NAME_CONFLICT')
    expect(e.warning.message).toContain('127.0.0.1:7946')
    expect(e.warning.message).toContain('10.0.0.9:8000')
  })

  it('flags a conflict over our own name as local and unresolved while resolution is on (queries not built)', () => {
    const e = describeNameConflict('self', true, node('self'), other)
    expect(e.local).toBe(true)
    expect(e.warning.code).toBe('ERR_MEMBER_NAME_CONFLICT_VOTE')
    expect(e.warning.message).toMatch(/10\.0\.0\.9:8000.*'self'/)
    expect(e.warning.message).toContain('_serf_conflict')
  })

  it('says resolution is disabled when the config turns it off', () => {
    const e = describeNameConflict('self', false, node('self'), other)
    expect(e.local).toBe(true)
    expect(e.warning.code).toBe('ERR_MEMBER_NAME_CONFLICT_RESOLUTION_DISABLED')
  })
})

describe('hostPort', () => {
  it('formats IPv4, IPv4-mapped and IPv6 as Go does, with brackets for IPv6', () => {
    expect(hostPort(Uint8Array.of(192, 168, 1, 2), 7946)).toBe('192.168.1.2:7946')
    const mapped = new Uint8Array(16)
    mapped.set([0xff, 0xff, 10, 1, 2, 3], 10)
    expect(hostPort(mapped, 1)).toBe('10.1.2.3:1')
    const v6 = new Uint8Array(16)
    v6[15] = 1
    expect(hostPort(v6, 80)).toBe('[::1]:80')
  })

  it('shows bytes of a bad length in hex instead of throwing', () => {
    expect(hostPort(Uint8Array.of(1, 2, 3), 5)).toBe('<010203>:5')
    expect(hostPort(new Uint8Array(0), 5)).toBe('<no address>:5')
  })
})

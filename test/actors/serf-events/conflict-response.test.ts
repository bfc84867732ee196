import { describe, expect, it } from 'vitest'
import { answerConflictQuery, decodeConflictResponse, encodeConflictResponse, memberAt, toSerfMember } from '../../../actors/serf-events/conflict-response.ts'
import type { ConflictView } from '../../../actors/serf-events/conflict-response.ts'
import type { Member } from '../../../actors/member-manager/protocol.ts'
import { toHex } from '../../../src/wire/hex.ts'

const str = (s: string) => toHex(new TextEncoder().encode(s))
const web1: Member = {
  name: 'web-1', addr: Uint8Array.of(127, 0, 0, 1), port: 7946, tags: { role: 'web' }, status: 'alive',
  protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 5,
}
const view = (members: Member[], localName = 'me'): ConflictView => ({ localName, lookup: (n) => members.find((m) => m.name === n) })
const text = (s: string) => new TextEncoder().encode(s)

// Serf 0.9.4's [6]Member, written by hand from go-msgpack's rules (sorted field names, raw strings,
// smallest ints, Status as an int): the reference for byte-exactness.
const WEB1_HEX =
  '06' + '8b' +
  'a4' + str('Addr') + 'a4' + '7f000001' +
  'ab' + str('DelegateCur') + '05' +
  'ab' + str('DelegateMax') + '05' +
  'ab' + str('DelegateMin') + '02' +
  'a4' + str('Name') + 'a5' + str('web-1') +
  'a4' + str('Port') + 'cd1f0a' +
  'ab' + str('ProtocolCur') + '02' +
  'ab' + str('ProtocolMax') + '05' +
  'ab' + str('ProtocolMin') + '01' +
  'a6' + str('Status') + '01' +
  'a4' + str('Tags') + '81' + 'a4' + str('role') + 'a3' + str('web')

describe('_serf_conflict responder (Serf handleConflict)', () => {
  it.each([
    { name: 'a known member: [6]Member, byte-exact', payload: text('web-1'), members: [web1], want: { kind: 'respond', hex: WEB1_HEX, known: true } },
    { name: 'an unknown name: [6][c0]', payload: text('nobody'), members: [web1], want: { kind: 'respond', hex: '06c0', known: false } },
    { name: 'our own name: no answer, even though our table has us', payload: text('web-1'), members: [web1], local: 'web-1', want: { kind: 'none' } },
    { name: 'no payload asks about "" (unknown)', payload: null, members: [web1], want: { kind: 'respond', hex: '06c0', known: false } },
    { name: 'invalid UTF-8 cannot name a member (no U+FFFD aliasing)', payload: Uint8Array.of(0x77, 0xff), members: [{ ...web1, name: 'w\ufffd' }], want: { kind: 'respond', hex: '06c0', known: false } },
  ] as { name: string; payload: Uint8Array | null; members: Member[]; local?: string; want: { kind: string; hex?: string; known?: boolean } }[])('$name', ({ payload, members, local, want }) => {
    const a = answerConflictQuery(payload, view(members, local ?? 'me'))
    expect(a.kind).toBe(want.kind)
    if (a.kind === 'respond') {
      expect(toHex(a.payload)).toBe(want.hex)
      expect(a.known).toBe(want.known)
    } else expect(a.reason).toBe('own-name')
  })

  it.each([
    ['none', 0],
    ['alive', 1],
    ['leaving', 2],
    ['left', 3],
    ['failed', 4],
  ] as const)('status %s goes on the wire as %i (Serf MemberStatus)', (status, n) => {
    expect(toSerfMember({ ...web1, status }).Status).toBe(n)
    const hex = toHex(encodeConflictResponse({ ...web1, status }))
    expect(hex).toContain('a6' + str('Status') + '0' + n)
  })

  it('writes several tags sorted by key (Go: random map order), an IPv6 address as 16 bytes', () => {
    const m: Member = { ...web1, tags: { zone: 'b', dc: 'x', role: 'web' }, addr: Uint8Array.from([0xfe, 0x80, ...new Array<number>(13).fill(0), 1]) }
    const hex = toHex(encodeConflictResponse(m))
    expect(hex).toContain('a4' + str('Tags') + '83' + 'a2' + str('dc') + 'a1' + str('x') + 'a4' + str('role') + 'a3' + str('web') + 'a4' + str('zone') + 'a1' + str('b'))
    expect(hex).toContain('a4' + str('Addr') + 'b0' + 'fe80' + '00'.repeat(13) + '01')
  })
})

describe('decodeConflictResponse', () => {
  it.each([
    { name: 'a member', payload: encodeConflictResponse(web1), want: { ok: true, name: 'web-1' } },
    { name: '[6][c0]', payload: Uint8Array.of(6, 0xc0), want: { ok: true, name: null } },
    { name: 'null', payload: null, want: { ok: false, reason: 'wrong-type' } },
    { name: 'empty', payload: new Uint8Array(0), want: { ok: false, reason: 'wrong-type' } },
    { name: 'a key response', payload: Uint8Array.of(8, 0x80), want: { ok: false, reason: 'wrong-type' } },
    { name: 'only the type byte', payload: Uint8Array.of(6), want: { ok: false, reason: 'undecodable' } },
    { name: 'a truncated member', payload: encodeConflictResponse(web1).subarray(0, 20), want: { ok: false, reason: 'undecodable' } },
    { name: 'Port as a string', payload: Uint8Array.of(6, 0x81, 0xa4, ...text('Port'), 0xa1, 0x31), want: { ok: false, reason: 'undecodable' } },
  ])('$name', ({ payload, want }) => {
    const d = decodeConflictResponse(payload)
    expect(d.ok).toBe(want.ok)
    if (d.ok) expect(d.member?.Name ?? null).toBe(want.name)
    else expect(d.reason).toBe(want.reason)
  })

  it('memberAt compares IP (Go net.IP.Equal) and port', () => {
    const m = toSerfMember(web1)
    const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1])
    expect(memberAt(m, Uint8Array.of(127, 0, 0, 1), 7946)).toBe(true)
    expect(memberAt(m, mapped, 7946)).toBe(true)
    expect(memberAt(m, Uint8Array.of(127, 0, 0, 1), 7947)).toBe(false)
    expect(memberAt(m, Uint8Array.of(127, 0, 0, 2), 7946)).toBe(false)
    expect(memberAt(null, Uint8Array.of(127, 0, 0, 1), 7946)).toBe(false)
  })
})

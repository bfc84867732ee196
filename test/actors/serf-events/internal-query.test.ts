import { describe, expect, it } from 'vitest'
import { sameIp, tallyConflictVotes } from '../../../actors/serf-events/internal-query.ts'
import { encodeSerfMessage } from '../../../src/wire/serf.ts'
import type { SerfMember } from '../../../src/wire/serf.ts'

const known = (name: string, addr: number[], port = 7946): SerfMember => ({
  Name: name, Addr: Uint8Array.from(addr), Port: port, Tags: new Map([['role', 'web']]), Status: 1,
  ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4,
})
const vote = (m: SerfMember | null) => encodeSerfMessage({ type: 'conflictResponse', Member: m })

describe('internal queries: Serf 0.9.4\'s conflict rule and IP equality', () => {
  it.each([
    { name: 'a clear majority keeps us', votes: [vote(known('dup', [10, 0, 0, 5])), vote(known('dup', [10, 0, 0, 5])), vote(known('dup', [10, 0, 0, 6]))], keep: true, matching: 2, responses: 3 },
    { name: 'a tie is a minority', votes: [vote(known('dup', [10, 0, 0, 5])), vote(known('dup', [10, 0, 0, 6]))], keep: false, matching: 1, responses: 2 },
    { name: 'no response at all is a minority (Serf: 0 < 1)', votes: [], keep: false, matching: 0, responses: 0 },
    { name: 'an unknown-member vote counts as a response', votes: [vote(null), vote(known('dup', [10, 0, 0, 5]))], keep: false, matching: 1, responses: 2 },
    { name: 'another port does not match', votes: [vote(known('dup', [10, 0, 0, 5], 7947))], keep: false, matching: 0, responses: 1 },
    { name: 'invalid payloads are skipped', votes: [Uint8Array.of(5, 1), null, Uint8Array.of(6, 0x81), vote(known('dup', [10, 0, 0, 5]))], keep: true, matching: 1, responses: 1 },
  ])('conflict vote: $name', ({ votes, keep, matching, responses }) => {
    expect(tallyConflictVotes(votes, { addr: Uint8Array.of(10, 0, 0, 5), port: 7946 })).toMatchObject({ keep, matching, responses })
  })

  it('compares IPs as Go net.IP.Equal does (IPv4 equals its IPv4-mapped IPv6 form)', () => {
    const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 5])
    expect(sameIp(Uint8Array.of(10, 0, 0, 5), mapped)).toBe(true)
    expect(sameIp(Uint8Array.of(10, 0, 0, 6), mapped)).toBe(false)
    expect(sameIp(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(false)
  })
})

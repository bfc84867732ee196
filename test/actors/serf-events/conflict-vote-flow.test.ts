import { describe, expect, it } from 'vitest'
import { answerConflictQuery, CONFLICT_QUERY } from '../../../actors/serf-events/conflict-response.ts'
import { addConflictVote, decideConflictVote, startConflictVote } from '../../../actors/serf-events/conflict-vote.ts'
import type { Member } from '../../../actors/member-manager/protocol.ts'
import { runInternalQuery, simNodes } from './support-internal.ts'

const IMPOSTOR = Uint8Array.of(192, 168, 9, 9)
const entry = (name: string, addr: Uint8Array): Member => ({
  name, addr, port: 7946, tags: {}, status: 'alive', protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 5,
})

/** `me` (10.0.0.1) runs _serf_conflict; `believe[n]` is where node n's table puts the name "me". */
function vote(believe: Record<string, 'us' | 'impostor' | 'unknown'>, lost: string[] = []) {
  const nodes = simNodes(['me', 'a', 'b', 'c'])
  const us = nodes[0]!.addr
  const { results } = runInternalQuery(
    nodes,
    { name: CONFLICT_QUERY, payload: new TextEncoder().encode('me'), internal: true },
    (n, q) => {
      // `me` knows itself at its own address; the others as `believe` says.
      const where = n.name === 'me' ? 'us' : believe[n.name]
      const table = where === undefined || where === 'unknown' ? [] : [entry('me', where === 'us' ? us : IMPOSTOR)]
      const a = answerConflictQuery(q.payload, { localName: n.name, lookup: (name) => table.find((m) => m.name === name) })
      return a.kind === 'respond' ? a.payload : null
    },
    { lost },
  )
  // eligible voters: the alive members we know besides ourselves (a, b, c)
  let state = startConflictVote({ localName: 'me', localAddr: us, localPort: 7946, eligibleVoters: 3, attempt: 1 })
  for (const r of results) if (r.kind === 'response') state = addConflictVote(state, r.from, r.payload).state
  return decideConflictVote(state)
}

describe('name conflict resolution through the query cores', () => {
  it.each([
    { name: 'most members know us at our address: stay', believe: { a: 'us', b: 'us', c: 'impostor' }, lost: [], want: { outcome: 'majority', responses: 3, matching: 2 } },
    { name: 'the cluster knows the other claimant: we are the minority, shut down', believe: { a: 'impostor', b: 'impostor', c: 'us' }, lost: [], want: { outcome: 'minority', responses: 3, matching: 1 } },
    { name: 'members that never heard of the name vote against us ([6][c0])', believe: { a: 'unknown', b: 'unknown', c: 'us' }, lost: [], want: { outcome: 'minority', responses: 3, matching: 1 } },
    { name: 'a spoofed alive during a flood: every answer lost → inconclusive, stay', believe: { a: 'us', b: 'us', c: 'us' }, lost: ['a', 'b', 'c'], want: { outcome: 'inconclusive', responses: 0, retryAfterMs: 5000 } },
    { name: 'one answer of three arrived (below the quorum of 2)', believe: { a: 'impostor', b: 'us', c: 'us' }, lost: ['b', 'c'], want: { outcome: 'inconclusive', responses: 1, matching: 0, quorum: 2 } },
  ] as const)('$name', ({ believe, lost, want }) => {
    expect(vote(believe, [...lost])).toMatchObject(want)
  })

  it('we do not answer our own query (handled locally, as Serf): only the third parties vote', () => {
    expect(vote({ a: 'us', b: 'us', c: 'us' })).toMatchObject({ responses: 3, matching: 3, fromClaimant: 0, outcome: 'majority' })
    expect(vote({ a: 'impostor', b: 'impostor', c: 'impostor' })).toMatchObject({ responses: 3, matching: 0, fromClaimant: 0, outcome: 'minority' })
  })
})

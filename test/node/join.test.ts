/**
 * Joins as the caller sees them: ERR_JOIN_FAILED with Serf's multierror text, and the outcome read
 * from swim's counters (the interim JoinPort until swim answers joins itself).
 */
import { describe, expect, it } from 'vitest'
import { joinFailedError, observedSwimJoin, type SwimJoinView } from '../../src/node/join.ts'

describe('joinFailedError', () => {
  it("words the error as serf join prints it, one line per address's reason", () => {
    const e = joinFailedError(['127.0.0.1:1'], ['127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused'])
    expect(e.code).toBe('ERR_JOIN_FAILED')
    expect(e.message).toBe('1 error occurred:\n\t* Failed to join 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused\n\n')
    const two = joinFailedError(['a:1', 'b:2'], [])
    expect(two.message).toBe('2 errors occurred:\n\t* Failed to join a:1: no response\n\t* Failed to join b:2: no response\n\n')
    expect(two.details).toEqual({ addresses: ['a:1', 'b:2'], errors: ['a:1: no response', 'b:2: no response'] })
  })
})

/** A fake swim whose counters move as a script says, one step per poll. */
function fakeSwim(steps: Partial<SwimJoinView>[], members: string[][] = []) {
  let view: SwimJoinView = { value: 'running', joinFailures: 0, lastJoinError: undefined, pushPullsStarted: 0, pushPullsUnmerged: 0, tcpTimeoutMs: 1000 }
  let polls = 0
  const sent: string[][] = []
  const port = observedSwimJoin({
    send: (a) => (sent.push(a), true),
    view: async () => {
      const now = view
      if (sent.length > 0) view = { ...view, ...(steps[Math.min(polls++, steps.length - 1)] ?? {}) }
      return now
    },
    memberAddresses: async () => new Set(members[Math.min(polls - 1, members.length - 1)] ?? []),
    sleep: () => Promise.resolve(),
    pollMs: 1,
  })
  return { port, sent, polls: () => polls }
}

describe('observedSwimJoin', () => {
  it('reports a join that reached no one with the reasons swim kept', async () => {
    const err = { code: 'ERR_SWIM_JOIN', message: 'x', details: { errors: ['10.0.0.1:7946: timeout'] } }
    const { port, sent } = fakeSwim([{ pushPullsStarted: 1 }, { pushPullsStarted: 1, pushPullsUnmerged: 1, joinFailures: 1, lastJoinError: err }])
    expect(await port.join(['10.0.0.1:7946'])).toEqual({ numJoined: 0, errors: ['10.0.0.1:7946: timeout'] })
    expect(sent).toEqual([['10.0.0.1:7946']])
  })

  it('counts the addresses whose node is in the table once every push/pull ended', async () => {
    const { port } = fakeSwim([{ pushPullsStarted: 2 }, { pushPullsStarted: 2, pushPullsUnmerged: 1 }], [[], ['127.0.0.1:1000']])
    expect(await port.join(['127.0.0.1:1000', '127.0.0.1:2000'])).toEqual({ numJoined: 1, errors: [] })
  })

  it('does not take a periodic push/pull that failed meanwhile for the join: only a member reached or swim\'s failure report ends it', async () => {
    const err = { code: 'ERR_SWIM_JOIN', message: 'x', details: { errors: ['10.0.0.1:7946: refused'] } }
    const { port } = fakeSwim([{ pushPullsStarted: 2, pushPullsUnmerged: 1 }, { pushPullsStarted: 2, pushPullsUnmerged: 1 }, { pushPullsStarted: 2, pushPullsUnmerged: 2, joinFailures: 1, lastJoinError: err }])
    expect(await port.join(['10.0.0.1:7946'])).toEqual({ numJoined: 0, errors: ['10.0.0.1:7946: refused'] })
  })

  it('counts a host name as reached once a member new since the join is in the table', async () => {
    const { port, polls } = fakeSwim([{ pushPullsStarted: 1 }], [[], [], ['10.0.0.5:7946']])
    expect(await port.join(['seed.example:7946'])).toEqual({ numJoined: 1, errors: [] })
    // At once, not at the join's deadline (2 × tcpTimeoutMs + 5 s of 1 ms polls).
    expect(polls()).toBeLessThan(10)
  })

  it('runs joins one at a time, so one join does not read the counters of another', async () => {
    const { port, sent } = fakeSwim([{ pushPullsStarted: 1 }, { pushPullsStarted: 2 }], [['127.0.0.1:1000']])
    const order: string[] = []
    const a = port.join(['127.0.0.1:1000']).then(() => order.push(`a resolved after ${sent.length} sends`))
    const b = port.join(['127.0.0.1:1000']).then(() => order.push(`b resolved after ${sent.length} sends`))
    await Promise.all([a, b])
    expect(order).toEqual(['a resolved after 1 sends', 'b resolved after 2 sends'])
  })

  it('fails coded when swim stops during the join', async () => {
    const { port } = fakeSwim([{ value: 'stopped' }])
    await expect(port.join(['127.0.0.1:1'])).rejects.toMatchObject({ code: 'ERR_NODE_SHUT_DOWN' })
  })
})

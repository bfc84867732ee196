/**
 * Joins as the caller sees them: ERR_JOIN_FAILED with Serf's multierror text built from swim's
 * per-address errors, and the outcome taken from swim's answer to an asked `swim.join` (no polling).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { joinFailedError, swimAskJoin } from '../../src/node/join.ts'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode } from '../../src/node/api.ts'
import type { JoinReply } from '../../actors/swim/protocol.ts'

describe('joinFailedError', () => {
  it("words the error as serf join prints it, one line per address's reason from swim", () => {
    const e = joinFailedError(['127.0.0.1:1'], [{ address: '127.0.0.1:1', code: 'ERR_JOIN_UNREACHABLE', message: 'Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused' }])
    expect(e.code).toBe('ERR_JOIN_FAILED')
    expect(e.message).toBe('1 error occurred:\n\t* Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused\n\n')
    expect(e.details).toMatchObject({ codes: [{ address: '127.0.0.1:1', code: 'ERR_JOIN_UNREACHABLE' }] })
    const two = joinFailedError(['a:1', 'b:2'], [])
    expect(two.message).toBe('2 errors occurred:\n\t* Failed to join a:1: no response\n\t* Failed to join b:2: no response\n\n')
    expect(two.details).toMatchObject({ addresses: ['a:1', 'b:2'], errors: ['Failed to join a:1: no response', 'Failed to join b:2: no response'] })
  })
})

describe('swimAskJoin', () => {
  it("asks swim once per join with its push/pull bound, and returns swim's own outcome", async () => {
    const asks: Array<{ addresses: string[]; timeoutMs: number }> = []
    const reply: JoinReply = { type: 'swim.join-reply', numJoined: 1, errors: [{ address: '10.0.0.2:7946', code: 'ERR_JOIN_TIMEOUT', message: 'Failed to join 10.0.0.2: i/o timeout' }] }
    const port = swimAskJoin({ ask: async (addresses, timeoutMs) => (asks.push({ addresses, timeoutMs }), reply), tcpTimeoutMs: 1000 })
    expect(await port.join(['10.0.0.1:7946', '10.0.0.2:7946'])).toEqual({ numJoined: 1, errors: reply.errors })
    expect(asks).toEqual([{ addresses: ['10.0.0.1:7946', '10.0.0.2:7946'], timeoutMs: 7000 }])
  })

  it("passes swim's refusal through (coded)", async () => {
    const refused = Object.assign(new Error('swim: swim.join refused'), { code: 'ERR_SWIM_JOIN_REFUSED' })
    const port = swimAskJoin({ ask: () => Promise.reject(refused), tcpTimeoutMs: 1000 })
    await expect(port.join(['10.0.0.1:7946'])).rejects.toMatchObject({ code: 'ERR_SWIM_JOIN_REFUSED' })
  })
})

describe('join() on real nodes (inline)', () => {
  const nodes: GossamerNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.shutdown()))
  })
  const start = async (name: string): Promise<GossamerNode> => {
    const n = await createNode({ name, bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent' })
    nodes.push(n)
    return n
  }

  it("fails with swim's per-address texts, as serf join prints them, and each failed address's code", async () => {
    const a = await start('ja')
    const err = await a.join(['127.0.0.1:1']).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'ERR_JOIN_FAILED', details: { codes: [{ address: '127.0.0.1:1', code: 'ERR_JOIN_UNREACHABLE' }] } })
    expect((err as Error).message).toBe('1 error occurred:\n\t* Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused\n\n')
  })

  it('counts each address reached, concurrent joins each get their own outcome', async () => {
    const [a, b, c] = [await start('ka'), await start('kb'), await start('kc')]
    const [both, one] = await Promise.all([c.join([a.address, b.address]), c.join([a.address, '127.0.0.1:1'])])
    expect([both, one]).toEqual([2, 1])
  })

  it('a peer that accepts and never answers fails the join with ERR_JOIN_TIMEOUT at swim\'s tcpTimeout; the node joins on', async () => {
    // A TCP listener that accepts and never answers: its push/pull ends only at swim's tcpTimeout.
    const silent = createServer(() => {})
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    try {
      const [a, b] = [await start('la'), await start('lb')]
      const port = (silent.address() as { port: number }).port
      const err = await b.join([`127.0.0.1:${port}`]).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ code: 'ERR_JOIN_FAILED', details: { codes: [{ code: 'ERR_JOIN_TIMEOUT' }] } })
      expect(await b.join([a.address])).toBe(1)
    } finally {
      silent.close()
    }
  })
})

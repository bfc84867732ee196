/**
 * Joins that reach no one, and Serf's retry-join (issue 10, item 7), through the real swim actor
 * on the simulated clock: a failed join is counted and kept with its reasons in swim's context;
 * `config.retryJoin` is retried with backoff (1 s doubling, up to retryJoinIntervalMs, up to 20%
 * shorter by seeded jitter) until a join succeeds, or gives up after 1 + retryJoinMax attempts
 * with a coded, counted failure. A node whose seed refuses it (every inbound stream held by idle
 * connections) joins on a later attempt.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { drawJitter, dueAttempt, FIRST_RETRY_DELAY_MS, firstJoins, jitterSeed, JOIN_RETRY_OFF, resumedJoins, retryDelayMs, settleJoin, startRetry } from '../../../actors/swim/join-retry.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { simNodes } from './support/sim-nodes.ts'
import type { SimNodes } from './support/sim-nodes.ts'

let nodes: SimNodes | undefined
afterEach(async () => {
  await nodes?.close()
  nodes = undefined
})

const SEED = '10.0.0.1:7946'

describe('retryDelayMs', () => {
  it('starts at 1 s, doubles, stops at the interval, and jitter only shortens (by up to 20%)', () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((k) => retryDelayMs(k, 30_000, 0))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
    expect(retryDelayMs(1, 30_000, 0.999)).toBe(800)
    expect(retryDelayMs(9, 5_000, 0.5)).toBe(4_500)
    expect(FIRST_RETRY_DELAY_MS).toBe(1_000)
  })
})

describe('the jitter stream (plain data in the context)', () => {
  it('gives what a fork of the actor stream gives, value after value, from its seed and count alone', () => {
    const forked = createSeededRandom(42).fork('swim.join-retry')
    let stream = { seed: jitterSeed(createSeededRandom(42)), draws: 0 }
    for (let i = 0; i < 5; i++) {
      const { value, next } = drawJitter(stream)
      expect(value).toBe(forked.next())
      expect(next).toEqual({ seed: stream.seed, draws: i + 1 })
      stream = structuredClone(next) // as a persisted context would give it back
    }
  })
})

describe('join planning (pure)', () => {
  const waiting = { ...startRetry('retry-join', [SEED]), status: 'waiting' as const, nextAttemptAtMs: 5_000 }
  const limits = { intervalMs: 30_000, maxRetries: 0 }

  it('a fresh start joins the input once and starts retry-join when configured', () => {
    expect(firstJoins(undefined, [])).toEqual({ joins: [], retry: JOIN_RETRY_OFF })
    const { joins, retry } = firstJoins(['10.0.0.5:7946'], [SEED])
    expect(joins).toEqual([
      { addresses: ['10.0.0.5:7946'], purpose: 'join' },
      { addresses: [SEED], purpose: 'retry-join' },
    ])
    expect(retry).toMatchObject({ status: 'joining', attempts: 1 })
  })

  it('a restore rejoins known members, the input and retry-join addresses (deduplicated, never itself), or nothing when leaving', () => {
    const before = { joinRetry: JOIN_RETRY_OFF, knownPeers: ['10.0.0.3:7946', SEED], address: '10.0.0.2:7946', leaving: false }
    const { joins, retry } = resumedJoins(before, [SEED, '10.0.0.2:7946'], ['10.0.0.4:7946'])
    expect(joins).toEqual([{ addresses: ['10.0.0.3:7946', SEED, '10.0.0.4:7946'], purpose: 'rejoin' }])
    expect(retry).toMatchObject({ purpose: 'rejoin', status: 'joining', attempts: 1 })
    // A pending retry-join goes on (its count too), with the known members added.
    const pending = resumedJoins({ ...before, joinRetry: waiting }, undefined, [SEED])
    expect(pending.retry).toMatchObject({ purpose: 'retry-join', status: 'joining', attempts: 2, addresses: ['10.0.0.3:7946', SEED] })
    expect(resumedJoins({ ...before, joinRetry: waiting, leaving: true }, undefined, [SEED])).toEqual({ joins: [], retry: { ...waiting, status: 'off', nextAttemptAtMs: null } })
    expect(resumedJoins({ ...before, knownPeers: [] }, undefined, []).joins).toEqual([])
  })

  it('a due retry attempts again, unless a rejoin found members meanwhile', () => {
    expect(dueAttempt(waiting, true)).toEqual({ retry: { ...waiting, status: 'joining', attempts: 2, nextAttemptAtMs: null }, join: { addresses: [SEED], purpose: 'retry-join' } })
    const rejoin = { ...waiting, purpose: 'rejoin' as const }
    expect(dueAttempt(rejoin, true)).toEqual({ retry: { ...rejoin, status: 'joined', nextAttemptAtMs: null, lastError: undefined } })
    expect(dueAttempt({ ...waiting, status: 'joined' }, false).join).toBeUndefined()
  })

  it('a plain join never moves the retry; the retry attempt in flight does, drawing jitter only for a wait', () => {
    const joining = startRetry('retry-join', [SEED])
    let draws = 0
    const random = () => (draws++, 0)
    const plain = settleJoin(joining, { type: 'swim.join-result', purpose: 'join', addresses: ['x:1'], numJoined: 0, errors: ['x:1: refused'] }, limits, 0, random)
    expect(plain.retry).toBe(joining)
    expect(plain.error).toMatchObject({ code: 'ERR_SWIM_JOIN', details: { purpose: 'join', errors: ['x:1: refused'] } })
    expect(settleJoin(joining, { type: 'swim.join-result', purpose: 'retry-join', addresses: [SEED], numJoined: 1, errors: [] }, limits, 0, random)).toMatchObject({ error: undefined, retry: { status: 'joined' } })
    expect(draws).toBe(0)
    const failed = settleJoin(joining, { type: 'swim.join-result', purpose: 'retry-join', addresses: [SEED], numJoined: 0, errors: [] }, limits, 100, random)
    expect(failed).toMatchObject({ delayMs: 1_000, retry: { status: 'waiting', nextAttemptAtMs: 1_100 } })
    expect(draws).toBe(1)
  })
})

describe('swim joins', () => {
  it('a start join that reaches no one is counted and kept with its reason, and not retried', async () => {
    nodes = simNodes(3)
    const n2 = await nodes.spawn('n2', 2, { join: ['10.0.0.9:7946'] })
    const ctx = await nodes.context(n2, 100)
    expect(ctx.joinFailures).toBe(1)
    expect(ctx.lastJoinError).toMatchObject({ code: 'ERR_SWIM_JOIN', details: { purpose: 'join', addresses: ['10.0.0.9:7946'] } })
    expect(ctx.lastJoinError?.message).toContain('Failed to join 10.0.0.9: dial tcp 10.0.0.9:7946: connect: connection refused')
    expect(ctx.joinRetry.status).toBe('off')
    // Serf's start_join is one attempt: nothing more happens.
    expect((await nodes.context(n2, 60_000)).joinFailures).toBe(1)
  })

  it('retries retryJoin with backoff until the seed is up, then stops', async () => {
    nodes = simNodes(4)
    const n2 = await nodes.spawn('n2', 2, { config: { retryJoin: [SEED], retryJoinIntervalMs: 8_000 } })
    // Each wait, read from the schedule in the context (nextAttemptAtMs) as the attempts fail.
    const due: number[] = []
    for (let t = 0; t < 16_000; t += 100) {
      const ctx = await nodes.context(n2, 100)
      const at = ctx.joinRetry.nextAttemptAtMs
      if (at !== null && due[due.length - 1] !== at) due.push(at)
    }
    const failedSoFar = (await nodes.context(n2)).joinFailures
    expect(failedSoFar).toBe(due.length) // every failed attempt scheduled the next one
    expect(due.length).toBeGreaterThanOrEqual(4)
    // Waits between attempts: 1 s, 2 s, 4 s, then 8 s (the interval), each up to 20% shorter;
    // consecutive due times also include the ~2 ms a refused dial takes.
    for (let k = 1; k < due.length; k++) {
      const full = Math.min(8_000, 1_000 * 2 ** k)
      expect(due[k]! - due[k - 1]!).toBeGreaterThanOrEqual(0.8 * full)
      expect(due[k]! - due[k - 1]!).toBeLessThanOrEqual(full + 10)
    }
    const before = await nodes.context(n2)
    expect(before.joinRetry).toMatchObject({ status: 'waiting', purpose: 'retry-join', addresses: [SEED], attempts: due.length })
    // The jitter's stream is in the context (one draw per scheduled wait), not in the machine's closure.
    expect(before.retryJitter).toMatchObject({ draws: due.length })
    expect(before.lastJoinError).toMatchObject({ code: 'ERR_SWIM_JOIN', details: { purpose: 'retry-join', addresses: [SEED] } })
    expect(before.numNodes).toBe(1)

    // The seed comes up; the next attempt joins it.
    const n1 = await nodes.spawn('n1', 1)
    await nodes.clock.advance(8_100)
    const after = await nodes.context(n2)
    expect(after.joinRetry).toMatchObject({ status: 'joined', attempts: due.length + 1, nextAttemptAtMs: null })
    expect(after.numNodes).toBe(2)
    expect((await nodes.context(n1)).numNodes).toBe(2)
    // Joined: no more attempts, however long we wait.
    const later = await nodes.context(n2, 60_000)
    expect(later.joinRetry.attempts).toBe(due.length + 1)
    expect(later.joinFailures).toBe(due.length)
  })

  it('gives up after 1 + retryJoinMax attempts with a coded, counted failure, and keeps running', async () => {
    nodes = simNodes(5)
    const n2 = await nodes.spawn('n2', 2, { config: { retryJoin: [SEED, '10.0.0.3:7946'], retryJoinMax: 2, retryJoinIntervalMs: 1_000 } })
    const failedDials = () => nodes!.net.stats().streamsFailed
    const ctx = await nodes.context(n2, 30_000)
    expect(ctx.joinRetry).toMatchObject({ status: 'exhausted', attempts: 3, nextAttemptAtMs: null })
    expect(ctx.joinRetry.lastError).toMatchObject({ code: 'ERR_SWIM_RETRY_JOIN_EXHAUSTED', details: { attempts: 3, addresses: [SEED, '10.0.0.3:7946'], last: { code: 'ERR_SWIM_JOIN' } } })
    expect(ctx).toMatchObject({ joinFailures: 3, joinRetriesExhausted: 1 })
    expect(failedDials()).toBe(6) // 3 attempts × 2 addresses
    expect((await n2.getSnapshot()).value).toBe('running')
    await nodes.clock.advance(120_000)
    expect(failedDials()).toBe(6)
    // Still joinable: a node that joins it is seen.
    const n3 = await nodes.spawn('n3', 3, { join: ['10.0.0.2:7946'] })
    expect((await nodes.context(n2, 1_000)).numNodes).toBe(2)
    expect((await nodes.context(n3)).joinFailures).toBe(0)
  })

  it("joins on a later attempt when the seed's inbound streams were all held by idle connections at first", async () => {
    nodes = simNodes(6)
    // The seed takes at most 256 inbound streams (the default); 256 idle connections hold them
    // (swim cuts each at its tcpTimeoutMs deadline, 200 ms at the test preset).
    const n1 = await nodes.spawn('n1', 1)
    expect((await nodes.context(n1, 50)).config.maxInboundStreams).toBe(256)
    for (let i = 0; i < 256; i++) nodes.net.createTransport(`10.0.${9 + (i >> 7)}.${(i & 127) + 1}:7946`).dialCallback(SEED, 1_000, (_e, s) => s?.onData(() => {}))
    await nodes.clock.advance(5)
    expect((await nodes.context(n1, 100)).streams).toMatchObject({ inboundOpen: 256, refusedAtAccept: 0 })
    const n2 = await nodes.spawn('n2', 2, { config: { retryJoin: [SEED] } })
    const first = await nodes.context(n2, 50)
    expect(first.joinRetry).toMatchObject({ status: 'waiting', attempts: 1 })
    expect(first.numNodes).toBe(1)
    expect((await nodes.context(n1)).streams.refusedAtAccept).toBe(1)
    // The idle connections are cut at their deadline; the retry (within 1 s) gets in.
    const joined = await nodes.context(n2, 1_100)
    expect(joined.joinRetry).toMatchObject({ status: 'joined', attempts: 2 })
    expect(joined.numNodes).toBe(2)
    expect((await nodes.context(n1)).streams).toMatchObject({ refusedAtAccept: 1, deadlinesExpired: 256 })
  })
})

/**
 * The system's log sink (`ActorSystem.start({ logSink })`): every actor's lines, inline and from
 * worker threads, reach one function on the system thread with the actor's id and level, in order
 * per actor, filtered by level in the thread that logged, and bounded per second per worker (a
 * flood is dropped past the bound and counted in the actor's stats and in one warn record).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ActorSystem, type LogRecord, type SystemOptions } from '../../src/runtime/index.ts'
import { InvalidConfigError } from '../../src/errors/index.ts'
import { chatter } from './support/chatter/definition.ts'
import { waitFor } from './support/placement-suite.ts'

// Worker threads start here: generous for a loaded machine; the timeout only guards a hang.
vi.setConfig({ testTimeout: 60_000 })

let system: ActorSystem | undefined
let records: LogRecord[] = []

async function start(opts: SystemOptions = {}): Promise<ActorSystem> {
  records = []
  system = await ActorSystem.start({ node: 'n1', logLevel: 'info', logSink: (r) => void records.push(r), ...opts })
  return system
}

afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

const fromActor = (id: string) => records.filter((r) => r.actor === id)

describe('log sink', () => {
  it("brings a worker actor's warn line to the system thread with its actor id, level and fields", async () => {
    const sys = await start()
    const ref = await sys.spawn(chatter, { id: 'talker' })
    ref.send({ type: 'chatter.say', level: 'warn', msg: 'join reached no member' })
    await waitFor(() => fromActor('talker').length > 0)
    const [rec] = fromActor('talker')
    expect(rec).toMatchObject({ actor: 'talker', level: 'warn', msg: 'join reached no member 0' })
    expect(rec!.fields).toMatchObject({ node: 'n1', actor: 'talker', i: 0, level: 40 })
    expect(typeof rec!.time).toBe('number')
  })

  it('applies the level in the worker: lines below it never reach the sink, the others arrive in order', async () => {
    const sys = await start({ logLevel: 'warn' })
    const ref = await sys.spawn(chatter, { id: 'talker' })
    ref.send({ type: 'chatter.say', level: 'info', msg: 'below', count: 10 })
    ref.send({ type: 'chatter.say', level: 'error', msg: 'kept', count: 50 })
    ref.send({ type: 'chatter.say', level: 'debug', msg: 'below', count: 10 })
    ref.send({ type: 'chatter.say', level: 'warn', msg: 'last', count: 1 })
    await waitFor(() => fromActor('talker').some((r) => r.msg === 'last 0'))
    const got = fromActor('talker').map((r) => `${r.level} ${r.msg}`)
    expect(got).toEqual([...Array.from({ length: 50 }, (_, i) => `error kept ${i}`), 'warn last 0'])
  })

  it("brings an inline actor's lines at once, in order, with its id", async () => {
    const sys = await start()
    const ref = await sys.spawn(chatter, { id: 'local', placement: 'inline' })
    ref.send({ type: 'chatter.say', level: 'info', msg: 'inline', count: 3 })
    await ref.ask({ type: 'chatter.ping' })
    expect(fromActor('local').map((r) => `${r.level} ${r.msg}`)).toEqual(['info inline 0', 'info inline 1', 'info inline 2'])
  })

  it("bounds a worker's flood per second: the excess is dropped, counted in its stats and told once per post", async () => {
    const sys = await start({ logLinesPerSecond: 100 })
    const ref = await sys.spawn(chatter, { id: 'flood' })
    ref.send({ type: 'chatter.say', level: 'info', msg: 'flood', count: 5000 })
    await ref.ask({ type: 'chatter.ping' })
    let dropped = 0
    await waitFor(() => {
      dropped = fromActor('flood')
        .filter((r) => r.fields['msg'] === 'log lines dropped')
        .reduce((n, r) => n + (r.fields['count'] as number), 0)
      return fromActor('flood').filter((r) => r.msg.startsWith('flood ')).length + dropped === 5000
    })
    const kept = fromActor('flood').filter((r) => r.msg.startsWith('flood '))
    // One turn may straddle a second's boundary: two windows at most.
    expect(kept.length).toBeGreaterThanOrEqual(100)
    expect(kept.length).toBeLessThanOrEqual(200)
    // The kept ones are the first of the turn, in order.
    expect(kept.map((r) => r.fields['i'])).toEqual(Array.from({ length: kept.length }, (_, i) => i))
    expect((await ref.stats()).logLinesDropped).toBe(dropped)
    const warn = fromActor('flood').find((r) => r.fields['msg'] === 'log lines dropped')!
    expect(warn).toMatchObject({ level: 'warn', actor: 'flood' })
    expect(warn.msg).toContain('over the bound of 100 per second')
  })

  it('counts a sink that throws and keeps delivering the next records', async () => {
    let calls = 0
    const sys = await start({
      logSink: () => {
        calls++
        if (calls === 1) throw new Error('sink failed')
      },
    })
    const ref = await sys.spawn(chatter, { id: 'talker' })
    ref.send({ type: 'chatter.say', level: 'info', msg: 'x', count: 3 })
    await waitFor(() => calls >= 3)
    expect(sys.logSinkErrors).toBe(1)
  })

  it('refuses a sink that is not a function and a bound out of range, naming the field', async () => {
    await expect(ActorSystem.start({ logSink: 'stdout' as never })).rejects.toBeInstanceOf(InvalidConfigError)
    await expect(ActorSystem.start({ logSink: 'stdout' as never })).rejects.toMatchObject({ details: { field: 'system.logSink' } })
    await expect(ActorSystem.start({ logSink: () => {}, logLinesPerSecond: 0 })).rejects.toMatchObject({ details: { field: 'system.logLinesPerSecond' } })
  })

  it('without a sink the actors report no drops (lines go to fd 1 from each thread, as before)', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const ref = await system.spawn(chatter, { id: 'talker' })
    ref.send({ type: 'chatter.say', level: 'warn', msg: 'x', count: 5 })
    await ref.ask({ type: 'chatter.ping' })
    expect((await ref.stats()).logLinesDropped).toBe(0)
  })
})

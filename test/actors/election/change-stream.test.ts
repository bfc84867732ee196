/** The bounded changes() iterator: order kept, a consumer too far behind gets a coded overflow, abort and end finish it. */
import { describe, expect, it } from 'vitest'
import { createChangeStream } from '../../../actors/election/change-stream.ts'
import type { LeaderChange } from '../../../actors/election/backend.ts'
import type { Term } from '../../../actors/election/term.ts'

const change = (term: number): LeaderChange => ({ group: 'g', leader: 'a', term: term as Term, isSelf: false, reason: 'observed', at: term })

describe('change stream', () => {
  it('delivers in order, to a waiting consumer and from the buffer', async () => {
    let done = 0
    const s = createChangeStream(4, undefined, () => done++)
    const it = s[Symbol.asyncIterator]()
    const first = it.next()
    s.push(change(1))
    s.push(change(2))
    s.push(change(3))
    expect((await first).value?.term).toBe(1)
    expect((await it.next()).value?.term).toBe(2)
    expect((await it.next()).value?.term).toBe(3)
    s.end()
    expect(await it.next()).toEqual({ value: undefined, done: true })
    expect(done).toBe(1)
  })

  it('a consumer more than bufferSize behind gets ERR_ELECTION_CHANGES_OVERFLOW, not a thinned stream', async () => {
    const s = createChangeStream(2, undefined, () => undefined)
    const it = s[Symbol.asyncIterator]()
    for (let t = 1; t <= 3; t++) s.push(change(t))
    await expect(it.next()).rejects.toMatchObject({ code: 'ERR_ELECTION_CHANGES_OVERFLOW' })
  })

  it('an abort ends a waiting consumer; pushes after it are dropped', async () => {
    const ac = new AbortController()
    const s = createChangeStream(4, ac.signal, () => undefined)
    const it = s[Symbol.asyncIterator]()
    const pending = it.next()
    ac.abort()
    expect(await pending).toEqual({ value: undefined, done: true })
    s.push(change(1))
    expect(await it.next()).toEqual({ value: undefined, done: true })
  })
})

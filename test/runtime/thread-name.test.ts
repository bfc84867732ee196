/**
 * An actor's worker thread takes its actor's name (thread-name.ts), so `top -H`, `ps -L` and
 * /proc show which thread is which actor instead of "node" for all of them.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../src/runtime/index.ts'
import { actorThreadName, nameThisThread } from '../../src/runtime/thread-name.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

/** This process's thread names (Linux /proc). */
const threadNames = (): string[] =>
  readdirSync('/proc/self/task').map((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
    } catch {
      return '' // the thread ended between the listing and the read
    }
  })

describe('actor thread names', () => {
  it('is the actor id after a prefix, cut to the 15 bytes Linux keeps', () => {
    expect(actorThreadName('swim')).toBe('g:swim')
    expect(actorThreadName('member-manager')).toBe('g:member-manage')
    expect(actorThreadName('ééééééééééééééééé')).toBe('g:éééééé') // 2 + 6 × 2 bytes: a seventh would make 16
    expect(nameThisThread('x', 'darwin')).toBe(false)
  })

  it.runIf(process.platform === 'linux')('names each worker thread after its actor', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    await system.spawn(counter, { id: 'tally-one' })
    await system.spawn(counter, { id: 'tally-two' })
    const names = threadNames()
    expect(names.filter((n) => n === 'g:tally-one')).toHaveLength(1)
    expect(names.filter((n) => n === 'g:tally-two')).toHaveLength(1)
    await system.shutdown()
    system = undefined
    expect(threadNames().filter((n) => n.startsWith('g:tally'))).toEqual([])
  })
})

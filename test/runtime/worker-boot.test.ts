/**
 * A source-mode actor thread (booted through src/runtime/boot.mjs, as in tests and under tsx)
 * compiles its TypeScript in its own thread: it starts no loader thread beside it (each one is a
 * V8 isolate, ~17 MB of RSS that only compiles), and leaves no compiler helper thread running.
 */
import { readFileSync, existsSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ActorSystem } from '../../src/runtime/index.ts'
import { hog } from './support/hog/definition.ts'

vi.setConfig({ testTimeout: 60_000 })

const osThreads = (): number => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1])

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

describe.runIf(existsSync('/proc/self/status'))('source-mode worker boot', () => {
  it('costs each actor one OS thread, its own', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    // A first actor warms what the process starts once (libuv's pool, V8's platform threads).
    await (await system.spawn(hog, { id: 'warm' })).ask({ type: 'hog.get' })
    const before = osThreads()
    for (const id of ['a', 'b', 'c', 'd']) await (await system.spawn(hog, { id })).ask({ type: 'hog.get' })
    // Four actors: four threads (a loader thread each would make eight). One spare for a thread
    // the process may start on its own meanwhile.
    expect(osThreads() - before).toBeGreaterThanOrEqual(4)
    expect(osThreads() - before).toBeLessThanOrEqual(5)
  })
})

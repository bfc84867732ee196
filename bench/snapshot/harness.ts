/**
 * Bench harness for the snapshotter: the real actor (pure machine + implementations + writer) run
 * inline on this thread over the real disk in a temp directory, with a minimal ActorEnv.
 */
import { createActor } from 'xstate'
import { createSnapshotterMachine } from '../../actors/snapshotter/machine.ts'
import { createSnapshotterImplementations, writerOf, type SnapshotterPlatform } from '../../actors/snapshotter/implementations.ts'
import { createResourceSlots } from '../../src/runtime/resource-slots.ts'
import { nodeDisk } from '../../actors/snapshotter/io/node-disk.ts'
import type { SnapshotterInput } from '../../actors/snapshotter/protocol.ts'
import type { ActorEnv } from '../../src/types/actor-env.ts'
import { createSeededRandom } from '../../src/types/random.ts'
import { UnknownActorError } from '../../src/errors/runtime-errors.ts'

export function benchEnv(): ActorEnv {
  const noop = () => {}
  return {
    id: 'snapshotter' as ActorEnv['id'],
    node: 'bench',
    clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) },
    random: createSeededRandom(1),
    log: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, isLevelEnabled: () => false },
    compute: { run: () => Promise.reject(new Error('no compute pool in the bench')) },
    send: () => 'ok',
    // No other actor runs in the bench: an ask fails at once, as the runtime's does for an unknown id.
    ask: (to) => Promise.reject(new UnknownActorError(to)),
    reply: noop,
    fail: noop,
    resources: createResourceSlots(),
  }
}

export async function startSnapshotter(input: SnapshotterInput, observe: SnapshotterPlatform['observe'] = {}) {
  const env = benchEnv()
  const platform: SnapshotterPlatform = { disk: nodeDisk(), defer: (fn) => void setImmediate(fn), now: () => performance.now(), observe }
  const machine = createSnapshotterMachine(env).provide(createSnapshotterImplementations(env, platform))
  const actor = createActor(machine, { input }).start()
  await new Promise<void>((resolve, reject) => {
    const sub = actor.subscribe((s) => {
      if (s.matches('running')) {
        sub.unsubscribe()
        resolve()
      } else if (s.matches('failed')) reject(new Error('snapshotter failed to open'))
    })
  })
  const stop = async () => {
    actor.send({ type: 'runtime.shutdown' })
    await new Promise<void>((resolve) => {
      if (actor.getSnapshot().status === 'done') return resolve()
      const sub = actor.subscribe((s) => {
        if (s.status === 'done') {
          sub.unsubscribe()
          resolve()
        }
      })
    })
  }
  return { actor, writer: writerOf(env)!, stop }
}

/** Weighted percentile over (value, weight) samples. */
export function percentile(samples: Array<[number, number]>, q: number): number {
  if (samples.length === 0) return 0
  const sorted = [...samples].sort((a, b) => a[0] - b[0])
  const total = sorted.reduce((s, [, w]) => s + w, 0)
  const rank = q * total
  let seen = 0
  for (const [v, w] of sorted) {
    seen += w
    if (seen >= rank) return v
  }
  return sorted.at(-1)![0]
}

export const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits
export const nextTurn = () => new Promise<void>((r) => setImmediate(r))

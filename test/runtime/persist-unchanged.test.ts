/**
 * A persist that would record the same snapshot as the last record is skipped: an actor whose timer
 * fires and changes nothing (swim alone on its gossip tick) costs no copy, no post to the system
 * thread and no store write, and a restart still starts from the right state. samePersisted errs
 * one way only: anything it is not sure of counts as changed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, createActor, fromPromise, setup } from 'xstate'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import type { PersistedRecord, SnapshotStore } from '../../src/runtime/persist-options.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import { samePersisted, unchangedLiveSnapshot } from '../../src/runtime/snapshot-equal.ts'

describe('samePersisted', () => {
  it('is true for the same plain data, typed arrays, bigints, Maps and Sets', () => {
    const a = { n: 1, s: 'x', b: 10n, u: undefined, z: null, arr: [1, [2, 3]], bytes: Uint8Array.of(1, 2), m: new Map([['k', { v: 1 }]]), set: new Set([1, 2]), d: new Date(5) }
    const b = { n: 1, s: 'x', b: 10n, u: undefined, z: null, arr: [1, [2, 3]], bytes: Uint8Array.of(1, 2), m: new Map([['k', { v: 1 }]]), set: new Set([1, 2]), d: new Date(5) }
    expect(samePersisted(a, b)).toBe(true)
    expect(samePersisted(NaN, NaN)).toBe(true)
  })

  it('is false for any difference of value, type, length, key order or entry order', () => {
    expect(samePersisted({ a: { b: [1, 2] } }, { a: { b: [1, 3] } })).toBe(false)
    expect(samePersisted({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false)
    expect(samePersisted([1, 2], [1, 2, 3])).toBe(false)
    expect(samePersisted({ a: undefined }, {})).toBe(false)
    expect(samePersisted(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false)
    expect(samePersisted(Uint8Array.of(1, 2), Uint16Array.of(1, 2))).toBe(false)
    expect(samePersisted(1n, 1)).toBe(false)
    expect(samePersisted(0, -0)).toBe(false)
    expect(samePersisted(new Map([['a', 1], ['b', 2]]), new Map([['b', 2], ['a', 1]]))).toBe(false)
    expect(samePersisted([1, 2], { 0: 1, 1: 2 })).toBe(false)
  })

  it('is false when shared references or cycles have another shape, true when they match', () => {
    const o = { v: 1 }
    expect(samePersisted({ x: o, y: o }, { x: { v: 1 }, y: { v: 1 } })).toBe(false)
    const p = { v: 1 }
    expect(samePersisted({ x: o, y: o }, { x: p, y: p })).toBe(true)
    const c1: Record<string, unknown> = { v: 1 }
    c1['self'] = c1
    const c2: Record<string, unknown> = { v: 1 }
    c2['self'] = c2
    expect(samePersisted(c1, c2)).toBe(true)
    const c3: Record<string, unknown> = { v: 1, self: { v: 1 } }
    expect(samePersisted(c1, c3)).toBe(false)
  })

  it('is false for what it does not know (not sure means changed)', () => {
    expect(samePersisted(/a/, /a/)).toBe(false)
    class Point {
      x = 1
    }
    expect(samePersisted(new Point(), { x: 1 })).toBe(false)
  })
})

describe('unchangedLiveSnapshot', () => {
  const machine = setup({ types: {} as { context: { n: number; bytes: Uint8Array }; events: { type: 'set'; n: number } | { type: 'go' } } }).createMachine({
    context: { n: 0, bytes: Uint8Array.of(1, 2, 3) },
    initial: 'a',
    states: { a: { on: { go: 'b' } }, b: {} },
    on: { set: { actions: assign({ n: ({ event }) => event.n, bytes: ({ context }) => Uint8Array.from(context.bytes) }) } },
  })

  it("agrees with a compare of XState's persisted snapshot: same data is unchanged, a new value or state is not", () => {
    const actor = createActor(machine).start()
    const kept = structuredClone(actor.getPersistedSnapshot())
    // New context objects with the same data (the assign copies the bytes).
    actor.send({ type: 'set', n: 0 })
    expect(unchangedLiveSnapshot(actor.getSnapshot(), kept)).toBe(true)
    expect(samePersisted(actor.getPersistedSnapshot(), kept)).toBe(true)
    actor.send({ type: 'set', n: 1 })
    expect(unchangedLiveSnapshot(actor.getSnapshot(), kept)).toBe(false)
    expect(samePersisted(actor.getPersistedSnapshot(), kept)).toBe(false)
    const kept1 = structuredClone(actor.getPersistedSnapshot())
    actor.send({ type: 'go' })
    expect(unchangedLiveSnapshot(actor.getSnapshot(), kept1)).toBe(false)
    actor.stop()
  })

  it('leaves the decision to the full compare when the machine has children or an actor ref in its context', () => {
    const withChild = setup({ actors: { wait: fromPromise(() => new Promise<void>(() => {})) } }).createMachine({ invoke: { src: 'wait' } })
    const a = createActor(withChild).start()
    expect(unchangedLiveSnapshot(a.getSnapshot(), structuredClone(a.getPersistedSnapshot()))).toBe(false)
    a.stop()
    const withRef = setup({ actors: { wait: fromPromise(() => new Promise<void>(() => {})) } }).createMachine({
      context: ({ spawn }) => ({ child: spawn('wait') }),
    })
    const b = createActor(withRef).start()
    const kept = JSON.parse(JSON.stringify(b.getPersistedSnapshot())) as unknown
    expect(unchangedLiveSnapshot(b.getSnapshot(), kept)).toBe(false)
    b.stop()
  })
})

type Ev = { type: 'set'; n: number } | { type: 'same' } | { type: 'boom' } | { type: 'get'; replyTo?: ReplyTo<number> }

/** Persists after every turn; `same` assigns a new context object holding the same data. */
const keeper = defineActor({
  name: 'keeper',
  machine: (env) =>
    setup({ types: {} as { context: { n: number; tags: { role: string } }; events: Ev } }).createMachine({
      context: { n: 0, tags: { role: 'web' } },
      on: {
        set: { actions: assign({ n: ({ event }) => event.n }) },
        same: { actions: assign(({ context }) => ({ n: context.n, tags: { ...context.tags } })) },
        boom: {
          actions: () => {
            throw new Error('boom')
          },
        },
        get: { actions: ({ context, event }) => env.reply(event.replyTo, context.n) },
      },
    }),
  persist: { version: 1, throttleMs: 0 },
})

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

describe('persisting an unchanged snapshot', () => {
  it('skips the record when nothing changed, keeps every change, and restarts from the last state', async () => {
    const saves: number[] = []
    const store: SnapshotStore = {
      load: () => undefined,
      save: (_id: string, r: PersistedRecord) => void saves.push((r.snapshot as { context: { n: number } }).context.n),
      delete: () => {},
    }
    system = await ActorSystem.start({ logLevel: 'silent', compute: false, snapshotStore: store, supervision: { backoffMs: 1 } })
    const ref = await system.spawn(keeper, { id: 'k', placement: 'inline' })
    ref.send({ type: 'set', n: 1 })
    await ref.ask({ type: 'get' })
    const afterFirst = saves.length
    expect(saves.at(-1)).toBe(1)
    for (let i = 0; i < 5; i++) {
      ref.send({ type: 'same' })
      await ref.ask({ type: 'get' })
    }
    // Five turns that changed nothing: no record taken.
    expect(saves.length).toBe(afterFirst)
    ref.send({ type: 'set', n: 2 })
    await ref.ask({ type: 'get' })
    expect(saves.at(-1)).toBe(2)
    const restarted = new Promise<void>((resolve) => system!.on((e) => void (e.type === 'actor.started' && e.restarts === 1 && resolve())))
    ref.send({ type: 'same' })
    ref.send({ type: 'boom' })
    await restarted
    expect(await ref.ask({ type: 'get' }, { timeoutMs: 5000 })).toBe(2)
  })
})

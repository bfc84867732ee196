/**
 * The mutator: a fixture actor whose actions update its context in place (no `assign`), the way a
 * machine holding a large table does. Used to check that the runtime persists and restores a
 * detached copy, and refuses contexts that structuredClone cannot copy faithfully.
 */
import { setup } from 'xstate'
import type { ActorEnv, ReplyTo, RuntimeEvent } from '../../../../src/types/actor-env.ts'

export interface MutatorView {
  items: Record<string, number>
  trail: string[]
}

/** What `mutator.keep` puts into the context (and `input.extra` at the start). */
export type ExtraKind = 'function' | 'instance' | 'plain'

export type MutatorIn =
  /** Tell: set items[key] = value and append key to the trail, in place. */
  | { type: 'mutator.put'; key: string; value: number }
  /** Tell: the same update, then a throw in the same action (a crash halfway through a turn). */
  | { type: 'mutator.put-then-crash'; key: string; value: number }
  /** Tell: store a value of the given kind in the context, in place. */
  | { type: 'mutator.keep'; kind: ExtraKind }
  /** Ask: the items and the trail. */
  | { type: 'mutator.get'; replyTo?: ReplyTo<MutatorView> }

export interface MutatorContext {
  items: Map<string, number>
  trail: string[]
  extra: { value: unknown }
}

/** A class instance: structuredClone would keep its fields and drop its prototype. */
export class Holder {
  constructor(readonly n: number) {}
  twice(): number {
    return this.n * 2
  }
}

function extraOf(kind: ExtraKind): unknown {
  if (kind === 'function') return () => 1
  if (kind === 'instance') return new Holder(21)
  return { n: 21 }
}

function put(context: MutatorContext, key: string, value: number): void {
  context.items.set(key, value)
  context.trail.push(key)
}

export function createMutatorMachine(env: ActorEnv) {
  return setup({
    types: {} as { context: MutatorContext; events: MutatorIn | RuntimeEvent; input: { extra?: ExtraKind } | undefined },
  }).createMachine({
    id: 'mutator',
    context: ({ input }) => ({ items: new Map(), trail: [], extra: { value: input?.extra === undefined ? undefined : extraOf(input.extra) } }),
    on: {
      'mutator.put': { actions: ({ context, event }) => put(context, event.key, event.value) },
      'mutator.put-then-crash': {
        actions: ({ context, event }) => {
          put(context, event.key, event.value)
          throw new Error('mutator crashed after an in-place update')
        },
      },
      'mutator.keep': {
        actions: ({ context, event }) => {
          context.extra.value = extraOf(event.kind)
        },
      },
      'mutator.get': {
        actions: ({ context, event }) => env.reply(event.replyTo, { items: Object.fromEntries(context.items), trail: [...context.trail] }),
      },
    },
  })
}

export type MutatorMachine = ReturnType<typeof createMutatorMachine>

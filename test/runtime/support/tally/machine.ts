/**
 * The tally: a fixture actor for coalesced delivery. It records every number it is given, in the
 * order the machine sees them, and how many machine events carried them: `tally.item` (a tell, or
 * an ask when it has a replyTo) and `tally.mark` one number each, `tally.items` (the coalesced batch)
 * several. `tally.get` reads it all.
 */
import { assign, setup } from 'xstate'
import type { ActorEnv, ReplyTo, RuntimeEvent } from '../../../../src/types/actor-env.ts'

export interface TallyView {
  /** Numbers in the order the machine saw them. */
  seen: number[]
  /** One entry per machine event: its type and how many numbers it carried. */
  events: Array<[string, number]>
}

export type TallyIn =
  | { type: 'tally.item'; n: number; replyTo?: ReplyTo<number> }
  | { type: 'tally.mark'; n: number }
  | { type: 'tally.items'; ns: number[] }
  /** Coalescible like tally.item, but the definition's `into` throws on it. */
  | { type: 'tally.poison' }
  | { type: 'tally.get'; replyTo?: ReplyTo<TallyView> }

export function createTallyMachine(env: ActorEnv) {
  const note = (context: TallyView, type: string, ns: number[]): TallyView => ({ seen: [...context.seen, ...ns], events: [...context.events, [type, ns.length]] })
  return setup({ types: {} as { context: TallyView; events: TallyIn | RuntimeEvent } }).createMachine({
    id: 'tally',
    context: { seen: [], events: [] },
    on: {
      'tally.item': {
        actions: [assign(({ context, event }) => note(context, event.type, [event.n])), ({ event }) => env.reply(event.replyTo, event.n)],
      },
      'tally.mark': { actions: assign(({ context, event }) => note(context, event.type, [event.n])) },
      'tally.items': { actions: assign(({ context, event }) => note(context, event.type, event.ns)) },
      'tally.poison': { actions: assign(({ context, event }) => note(context, event.type, [])) },
      'tally.get': { actions: ({ context, event }) => env.reply(event.replyTo, { seen: [...context.seen], events: context.events.map(([t, n]) => [t, n]) }) },
    },
  })
}

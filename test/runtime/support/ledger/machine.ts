/**
 * The ledger: a fixture actor that declares `persist.immutable`. Its `ledger.add` builds new
 * objects (assign), sharing the untouched entries, as member-manager's CowMap does; `ledger.cheat`
 * breaks the promise and writes into the context in place, which the runtime must catch (in tests)
 * with ERR_ACTOR_SNAPSHOT_MUTATED. `ledger.add-then-crash` crashes after an update of its own turn.
 */
import { assign, setup } from 'xstate'
import type { ActorEnv, ReplyTo, RuntimeEvent } from '../../../../src/types/actor-env.ts'

export interface LedgerEntry {
  readonly amount: number
  readonly note: { readonly by: string }
}

export interface LedgerContext {
  readonly entries: Readonly<Record<string, LedgerEntry>>
  readonly order: readonly string[]
  readonly bytes: Uint8Array
}

export type LedgerIn =
  /** Tell: entries[key] = { amount } in a new object (the others shared). */
  | { type: 'ledger.add'; key: string; amount: number }
  /** Tell: the same update, then a throw (a crash after an update in the same turn). */
  | { type: 'ledger.add-then-crash'; key: string; amount: number }
  /** Tell: change entries[key].amount in place: a broken promise. */
  | { type: 'ledger.cheat'; key: string; amount: number }
  /** Ask: the entries and their order. */
  | { type: 'ledger.get'; replyTo?: ReplyTo<{ entries: Record<string, number>; order: string[] }> }

function added(context: LedgerContext, key: string, amount: number): Partial<LedgerContext> {
  return {
    entries: { ...context.entries, [key]: { amount, note: { by: 'add' } } },
    order: context.entries[key] === undefined ? [...context.order, key] : context.order,
  }
}

export function createLedgerMachine(env: ActorEnv) {
  return setup({
    types: {} as { context: LedgerContext; events: LedgerIn | RuntimeEvent },
  }).createMachine({
    id: 'ledger',
    context: { entries: {}, order: [], bytes: new Uint8Array(4) },
    on: {
      'ledger.add': { actions: assign(({ context, event }) => added(context, event.key, event.amount)) },
      'ledger.add-then-crash': {
        actions: [
          assign(({ context, event }) => added(context, event.key, event.amount)),
          () => {
            throw new Error('ledger crashed after an update')
          },
        ],
      },
      'ledger.cheat': {
        actions: ({ context, event }) => {
          ;(context.entries[event.key] as { amount: number }).amount = event.amount
        },
      },
      'ledger.get': {
        actions: ({ context, event }) =>
          env.reply(event.replyTo, {
            entries: Object.fromEntries(Object.entries(context.entries).map(([k, e]) => [k, e.amount])),
            order: [...context.order],
          }),
      },
    },
  })
}

import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { createTallyMachine, type TallyIn } from './machine.ts'

type Coalesced = Extract<TallyIn, { type: 'tally.item' | 'tally.poison' }>

/** Runs of `tally.item` / `tally.poison` tells become one `tally.items`; a poison makes `into` throw. */
export function itemsOf(msgs: readonly Coalesced[]): TallyIn {
  return {
    type: 'tally.items',
    ns: msgs.map((m) => {
      if (m.type === 'tally.poison') throw new Error('poisoned run')
      return m.n
    }),
  }
}

/** At most 8 messages per run, so a burst shows the split too. */
export const tally = defineActor({
  name: 'tally',
  machine: createTallyMachine,
  worker: new URL('./worker.ts', import.meta.url),
  coalesce: { types: ['tally.item', 'tally.poison'], into: itemsOf, max: 8 },
})

/** The same actor without the opt-in: one machine event per message. */
export const plainTally = defineActor({ name: 'tally', machine: createTallyMachine, worker: new URL('./plain-worker.ts', import.meta.url) })

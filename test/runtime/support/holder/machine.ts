/**
 * The holder: a fixture actor whose exit work can leave something undone. It keeps the items it is
 * told to hold (as a real actor keeps messages it forwards later), and at `runtime.shutdown` passes
 * on all but the last `stuck` of them; its definition's `exitReport` turns what it could not pass
 * on into an unclean exit report.
 */
import { assign, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../../../src/types/actor-env.ts'

export type HolderIn =
  /** Keep one item for delivery at exit. */
  | { type: 'holder.hold' }
  /** At exit, fail to deliver the last `n` items held (0: deliver all). */
  | { type: 'holder.stick'; n: number }

export interface HolderContext {
  held: number
  stuck: number
  /** Set by the exit work: how many held items could not be delivered. */
  undeliveredAtExit: number | undefined
}

export function createHolderMachine(_env: ActorEnv) {
  return setup({
    types: { context: {} as HolderContext, events: {} as HolderIn | RuntimeEvent },
  }).createMachine({
    id: 'holder',
    context: { held: 0, stuck: 0, undeliveredAtExit: undefined },
    initial: 'running',
    states: {
      running: {
        on: {
          'holder.hold': { actions: assign({ held: ({ context }) => context.held + 1 }) },
          'holder.stick': { actions: assign({ stuck: ({ event }) => event.n }) },
          'runtime.shutdown': {
            target: 'stopped',
            actions: assign({ undeliveredAtExit: ({ context }) => Math.min(context.held, context.stuck) }),
          },
        },
      },
      stopped: { type: 'final' },
    },
  })
}

export type HolderMachine = ReturnType<typeof createHolderMachine>

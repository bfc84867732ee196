/**
 * The hog machine: n in the context; the heap work is done by actions the worker provides
 * (hog-io.ts), so the machine itself stays pure.
 */
import { assign, setup } from 'xstate'
import type { ActorEnv, ReplyTo, RuntimeEvent } from '../../../../src/types/actor-env.ts'
import type { HogIn, HogLimits } from './protocol.ts'

export function createHogMachine(env: ActorEnv) {
  return setup({
    types: {} as { context: { n: number }; events: HogIn | RuntimeEvent },
    actions: {
      /** Provided by the worker: answers with the thread's resourceLimits. */
      reportLimits: (_, _params: { replyTo: ReplyTo<HogLimits> | undefined }) => {},
      /** Provided by the worker: holds `mb` MiB live within the turn. */
      exhaust: (_, _params: { mb: number }) => {},
    },
  }).createMachine({
    id: 'hog',
    context: { n: 0 },
    on: {
      'hog.set': { actions: assign({ n: ({ event }) => event.n }) },
      'hog.get': { actions: ({ context, event }) => env.reply(event.replyTo, context.n) },
      'hog.limits': { actions: { type: 'reportLimits', params: ({ event }) => ({ replyTo: event.replyTo }) } },
      'hog.exhaust': { actions: { type: 'exhaust', params: ({ event }) => ({ mb: event.mb }) } },
    },
  })
}

export type HogMachine = ReturnType<typeof createHogMachine>

/**
 * The asker: a fixture actor that asks other actors with `env.ask` (from an action, answering
 * its own asker with the outcome). Used by the placement suite to run actor-to-actor asks in every
 * combination of placements.
 */
import { setup } from 'xstate'
import type { ActorAddress, ActorEnv, Message, ReplyTo } from '../../../../src/types/actor-env.ts'

export type AskerIn =
  /**
   * Ask: ask `to` with `request` (timeout `timeoutMs` on the asker's clock; aborted after
   * `abortAfterMs` on that clock when set); answers with the reply or fails with the ask's code.
   */
  | { type: 'asker.ask'; to: ActorAddress<Message>; request: Message; timeoutMs: number; abortAfterMs?: number; replyTo?: ReplyTo<unknown> }
  /** Ask: answered at once (a target for other askers). */
  | { type: 'asker.ping'; replyTo?: ReplyTo<string> }
  /** Tell: throw inside an action (a crash while its own asks are pending). */
  | { type: 'asker.crash' }

export function createAskerMachine(env: ActorEnv) {
  return setup({
    types: {} as { events: AskerIn },
  }).createMachine({
    id: 'asker',
    on: {
      'asker.ask': {
        actions: ({ event }) => {
          const ctl = event.abortAfterMs === undefined ? undefined : new AbortController()
          if (ctl !== undefined) env.clock.setTimeout(() => ctl.abort(), event.abortAfterMs!)
          env.ask!(event.to, event.request, { timeoutMs: event.timeoutMs, signal: ctl?.signal }).then(
            (v) => env.reply(event.replyTo, v),
            (err: { code?: string; message?: string }) => env.fail(event.replyTo, { code: err.code ?? 'ERR_INTERNAL', message: err.message ?? String(err) }),
          )
        },
      },
      'asker.ping': { actions: ({ event }) => env.reply(event.replyTo, `pong from ${env.id}`) },
      'asker.crash': {
        actions: () => {
          throw new Error('asker crashed on purpose')
        },
      },
    },
  })
}

export type AskerMachine = ReturnType<typeof createAskerMachine>

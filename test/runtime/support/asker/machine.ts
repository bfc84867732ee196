/**
 * The asker: a fixture actor that asks other actors with `env.ask` (from an action, answering
 * its own asker with the outcome). Used by the placement suite to run actor-to-actor asks in every
 * combination of placements. It also plays the other parts those tests need: a target that holds
 * requests and answers them later, and a recorder of ask outcomes.
 */
import { assign, setup } from 'xstate'
import type { ActorAddress, ActorEnv, Message, ReplyTo } from '../../../../src/types/actor-env.ts'

/** How one `env.ask` ended, as recorded by a recorder asker. */
export interface AskOutcome {
  label: string
  /** `'resolved'` or the error code. */
  outcome: string
  value?: unknown
}

export type AskerIn =
  /**
   * Ask: ask `to` with `request` (timeout `timeoutMs` on the asker's clock; aborted after
   * `abortAfterMs` on that clock when set); answers with the reply or fails with the ask's code.
   * With `reportTo`, the outcome is also told to that recorder (under `label`).
   */
  | {
      type: 'asker.ask'
      to: ActorAddress<Message>
      request: Message
      timeoutMs: number
      abortAfterMs?: number
      reportTo?: ActorAddress<AskerIn>
      label?: string
      replyTo?: ReplyTo<unknown>
    }
  /**
   * Ask: in one action, tell `to` `count` copies of `filler` and ask it `request` (the fillers
   * first, or after the ask with `fillAfter`), so the ask meets a full mailbox. Answers like
   * `asker.ask`, plus the send statuses of the fillers.
   */
  | {
      type: 'asker.flood'
      to: ActorAddress<Message>
      filler: Message
      count: number
      request: Message
      timeoutMs: number
      fillAfter?: boolean
      replyTo?: ReplyTo<unknown>
    }
  /** Ask: answered at once (a target for other askers). */
  | { type: 'asker.ping'; replyTo?: ReplyTo<string> }
  /** Ask: held, answered by a later `asker.release`. */
  | { type: 'asker.hold'; replyTo?: ReplyTo<{ index: number }> }
  /** Tell: answer every held request, in the order held, with its index. */
  | { type: 'asker.release' }
  /** Ask: how many requests have been held so far (released or not). */
  | { type: 'asker.held'; replyTo?: ReplyTo<number> }
  /** Tell (to a recorder): an outcome to keep. */
  | ({ type: 'asker.outcome' } & AskOutcome)
  /** Ask: the outcomes recorded so far. */
  | { type: 'asker.outcomes'; replyTo?: ReplyTo<AskOutcome[]> }
  /** Tell: throw inside an action (a crash while its own asks are pending). */
  | { type: 'asker.crash' }
  /** Tell: make the worker thread die (an uncaught error in I/O code); a no-op inline. */
  | { type: 'asker.kill-thread' }

export interface AskerContext {
  held: ReplyTo<{ index: number }>[]
  heldTotal: number
  released: number
  outcomes: AskOutcome[]
}

export function createAskerMachine(env: ActorEnv) {
  /** Runs an ask and answers `replyTo` (and the recorder) with how it ended. */
  const settle = (ask: Promise<unknown>, replyTo: ReplyTo<unknown> | undefined, report: ((o: AskOutcome) => void) | undefined, extra?: object): void => {
    ask.then(
      (v) => {
        report?.({ label: '', outcome: 'resolved', value: v })
        env.reply(replyTo, extra === undefined ? v : { value: v, ...extra })
      },
      (err: { code?: string; message?: string }) => {
        report?.({ label: '', outcome: err.code ?? 'ERR_INTERNAL' })
        env.fail(replyTo, { code: err.code ?? 'ERR_INTERNAL', message: err.message ?? String(err) })
      },
    )
  }
  return setup({
    types: {} as { events: AskerIn; context: AskerContext },
    actions: {
      // Worker-only I/O, provided by worker.ts.
      killThread: () => {},
    },
  }).createMachine({
    id: 'asker',
    context: { held: [], heldTotal: 0, released: 0, outcomes: [] },
    on: {
      'asker.ask': {
        actions: ({ event }) => {
          const ctl = event.abortAfterMs === undefined ? undefined : new AbortController()
          if (ctl !== undefined) env.clock.setTimeout(() => ctl.abort(), event.abortAfterMs!)
          const { reportTo, label = '' } = event
          const report = reportTo === undefined ? undefined : (o: AskOutcome) => void env.send(reportTo, { type: 'asker.outcome', ...o, label })
          settle(env.ask(event.to, event.request, { timeoutMs: event.timeoutMs, signal: ctl?.signal }), event.replyTo, report)
        },
      },
      'asker.flood': {
        actions: ({ event }) => {
          const statuses: string[] = []
          const fill = (): void => {
            for (let i = 0; i < event.count; i++) statuses.push(env.send(event.to, event.filler))
          }
          if (event.fillAfter !== true) fill()
          const ask = env.ask(event.to, event.request, { timeoutMs: event.timeoutMs })
          if (event.fillAfter === true) fill()
          settle(ask, event.replyTo, undefined, { statuses })
        },
      },
      'asker.ping': { actions: ({ event }) => env.reply(event.replyTo, `pong from ${env.id}`) },
      'asker.hold': {
        actions: assign(({ context, event }) => ({
          held: event.replyTo === undefined ? context.held : [...context.held, event.replyTo],
          heldTotal: context.heldTotal + 1,
        })),
      },
      'asker.release': {
        actions: assign(({ context }) => {
          context.held.forEach((token, i) => env.reply(token, { index: context.released + i }))
          return { held: [], released: context.released + context.held.length }
        }),
      },
      'asker.held': { actions: ({ context, event }) => env.reply(event.replyTo, context.heldTotal) },
      'asker.outcome': {
        actions: assign(({ context, event }) => {
          const { type: _type, ...outcome } = event
          return { outcomes: [...context.outcomes, outcome] }
        }),
      },
      'asker.outcomes': { actions: ({ context, event }) => env.reply(event.replyTo, context.outcomes) },
      'asker.crash': {
        actions: () => {
          throw new Error('asker crashed on purpose')
        },
      },
      'asker.kill-thread': { actions: 'killThread' },
    },
  })
}

export type AskerMachine = ReturnType<typeof createAskerMachine>

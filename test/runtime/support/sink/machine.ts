/**
 * The sink: a fixture actor that takes a flood of messages and, through its I/O (`observe`,
 * provided by its worker), measures how many it handled before a setImmediate and an fs callback of
 * its own thread got to run: whether a full-rate producer starves the thread's event loop.
 */
import { assign, setup } from 'xstate'
import type { ActorEnv, ReplyTo, RuntimeEvent } from '../../../../src/types/actor-env.ts'

/** What the sink's I/O measured: items handled, and the most handled while a callback waited. */
export interface SinkMeter {
  n: number
  /** Most items handled between scheduling a setImmediate and its running. */
  maxImmediateGap: number
  /** Most items handled between starting an fs.stat and its callback. */
  maxFsGap: number
  immediates: number
  fsCallbacks: number
}

export type SinkIn = { type: 'sink.item'; i: number } | { type: 'sink.meter'; replyTo?: ReplyTo<SinkMeter> }

export function createSinkMachine(_env: ActorEnv) {
  return setup({
    types: { context: {} as { n: number }, events: {} as SinkIn | RuntimeEvent },
    actions: {
      /** One item handled (the worker measures around it); default: nothing. */
      observe: () => {},
      /** Answers with the meter (the worker provides it). */
      report: (_, _params: { replyTo: ReplyTo<SinkMeter> | undefined }) => {},
    },
  }).createMachine({
    id: 'sink',
    context: { n: 0 },
    on: {
      'sink.item': { actions: [assign({ n: ({ context }) => context.n + 1 }), 'observe'] },
      'sink.meter': { actions: { type: 'report', params: ({ event }) => ({ replyTo: event.replyTo }) } },
    },
  })
}

export type SinkMachine = ReturnType<typeof createSinkMachine>

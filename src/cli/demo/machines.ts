/** The demo's machines: pure, time from env.clock, messages through env.send / env.reply. */
import { assign, setup } from 'xstate'
import type { ActorEnv, ActorAddress, ReplyTo } from '../../types/actor-env.ts'
import type { PingIn, PongIn, RunResult, TallyIn } from './protocol.ts'

export function createPingMachine(env: ActorEnv) {
  return setup({
    types: {} as {
      events: PingIn
      context: { expected: number; received: number; startedAt: number; tally: ActorAddress<TallyIn> | undefined; replyTo: ReplyTo<RunResult> | undefined }
    },
  }).createMachine({
    id: 'ping',
    context: { expected: 0, received: 0, startedAt: 0, tally: undefined, replyTo: undefined },
    initial: 'idle',
    states: {
      idle: {
        on: {
          'ping.start': {
            target: 'running',
            actions: [
              assign(({ event }) => ({ expected: event.count, received: 0, startedAt: env.clock.now(), tally: event.tally, replyTo: event.replyTo })),
              ({ event }) => {
                for (let seq = 0; seq < event.count; seq++) env.send(event.to, { type: 'pong.ping', from: env.id as ActorAddress<PingIn>, seq })
              },
            ],
          },
        },
      },
      running: {
        on: {
          'ping.pong': [
            {
              guard: ({ context }) => context.received + 1 === context.expected,
              target: 'idle',
              actions: [
                assign({ received: ({ context }) => context.received + 1 }),
                ({ context }) => {
                  env.reply(context.replyTo, { pongs: context.received, elapsedMs: env.clock.now() - context.startedAt })
                  if (context.tally !== undefined) env.send(context.tally, { type: 'tally.add', from: env.id, n: context.received })
                },
              ],
            },
            { actions: assign({ received: ({ context }) => context.received + 1 }) },
          ],
        },
      },
    },
  })
}

export function createPongMachine(env: ActorEnv) {
  return setup({ types: {} as { events: PongIn; context: { answered: number } } }).createMachine({
    id: 'pong',
    context: { answered: 0 },
    on: {
      'pong.ping': {
        actions: [assign({ answered: ({ context }) => context.answered + 1 }), ({ event }) => env.send(event.from, { type: 'ping.pong', seq: event.seq })],
      },
      'pong.count': { actions: ({ context, event }) => env.reply(event.replyTo, context.answered) },
      'pong.crash': {
        actions: () => {
          throw new Error('pong crashed on purpose')
        },
      },
    },
  })
}

export function createTallyMachine(env: ActorEnv) {
  return setup({ types: {} as { events: TallyIn; context: { total: number } } }).createMachine({
    id: 'tally',
    context: { total: 0 },
    on: {
      'tally.add': {
        actions: [
          assign({ total: ({ context, event }) => context.total + event.n }),
          ({ event }) => env.log.debug({ from: event.from, n: event.n }, 'tally added'),
        ],
      },
      'tally.get': { actions: ({ context, event }) => env.reply(event.replyTo, context.total) },
    },
  })
}

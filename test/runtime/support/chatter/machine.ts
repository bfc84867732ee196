/** The chatter machine: logs through env.log (the runtime decides where lines go). */
import { setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../../../src/types/actor-env.ts'
import type { ChatterIn } from './protocol.ts'

export function createChatterMachine(env: ActorEnv) {
  return setup({ types: {} as { events: ChatterIn | RuntimeEvent } }).createMachine({
    id: 'chatter',
    on: {
      'chatter.say': {
        actions: ({ event }) => {
          for (let i = 0; i < (event.count ?? 1); i++) env.log[event.level]({ i }, `${event.msg} ${i}`)
        },
      },
      'chatter.ping': { actions: ({ event }) => env.reply(event.replyTo, true) },
    },
  })
}

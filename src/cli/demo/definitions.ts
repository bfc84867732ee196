import { defineActor } from '../../runtime/define-actor.ts'
import { createPingMachine, createPongMachine, createTallyMachine } from './machines.ts'

export const ping = defineActor({ name: 'ping', machine: createPingMachine, worker: new URL('./ping.worker.ts', import.meta.url) })
export const pong = defineActor({
  name: 'pong',
  machine: createPongMachine,
  worker: new URL('./pong.worker.ts', import.meta.url),
  persist: { version: 1 },
})
export const tally = defineActor({ name: 'tally', machine: createTallyMachine })

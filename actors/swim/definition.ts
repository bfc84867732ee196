/**
 * The swim actor definition. swim owns the node's socket, so its definition is made per node with
 * that node's I/O: `defineSwimActor(io)` for the inline placement (the composition root passes a
 * transport and the gossip-queue fill). The worker placement needs a thread-side transport and an
 * actor-to-actor ask for the fill; it is not wired yet (see the issue note).
 */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createSwimMachine } from './machine.ts'
import type { SwimIo } from './machine.ts'

export function defineSwimActor(io: SwimIo) {
  return defineActor({
    name: 'swim',
    machine: (env) => createSwimMachine(env, io),
    validate: (msg) => {
      switch (msg.type) {
        case 'swim.packet':
          if (typeof msg.from !== 'string' || !(msg.bytes instanceof Uint8Array)) return 'swim.packet needs from (string) and bytes (Uint8Array)'
          return undefined
        case 'swim.join':
          if (!Array.isArray(msg.addresses) || !msg.addresses.every((a) => typeof a === 'string')) return 'swim.join needs addresses: string[]'
          return undefined
        case 'swim.leave':
          if (!Number.isFinite(msg.timeoutMs) || msg.timeoutMs < 0) return 'swim.leave needs timeoutMs >= 0'
          return undefined
        default:
          return undefined
      }
    },
  })
}

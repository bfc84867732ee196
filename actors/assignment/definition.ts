/**
 * The assignment actor: one definition for both placements. No persisted snapshot: a restarted
 * actor re-learns its groups from the node (the facade registers them again), its leadership from
 * the election, and the assignment in force from the leader (membership) or the store (nats).
 */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createAssignmentMachine } from './machine.ts'
import { STRATEGY_NAMES } from './strategies/registry.ts'

const isGroup = (g: unknown) => typeof g === 'string' && g.length > 0 && new TextEncoder().encode(g).length <= 255

export const assignment = defineActor({
  name: 'assignment',
  machine: createAssignmentMachine,
  worker: new URL('./worker.ts', import.meta.url),
  validate: (msg) => {
    switch (msg.type) {
      case 'assignment.register':
        if (!isGroup(msg.group)) return 'group must be a string of 1-255 UTF-8 bytes'
        if (msg.strategy !== undefined && !STRATEGY_NAMES.includes(msg.strategy)) return `strategy must be one of ${STRATEGY_NAMES.join(', ')}`
        return undefined
      case 'assignment.unregister':
      case 'assignment.view':
        return isGroup(msg.group) ? undefined : 'group must be a string of 1-255 UTF-8 bytes'
      case 'gossamer.message':
        return msg.body instanceof Uint8Array && typeof msg.from === 'string' ? undefined : 'body must be bytes and from a string'
      case 'member.event':
        return Array.isArray(msg.members) ? undefined : 'members must be an array'
      default:
        return undefined
    }
  },
})

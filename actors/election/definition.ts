/**
 * The election actor: one definition for both placements. It hosts an election backend (nats
 * now) whose connection lives in the actor's thread. No persisted snapshot: the views are
 * re-learned from the backend, and the lease itself is the backend's (a restart in place keeps the
 * backend in the resource slot; a new thread opens a new one and competes again).
 */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createElectionMachine } from './machine.ts'

const isGroup = (g: unknown) => typeof g === 'string' && g.length > 0 && g.length <= 256

export const election = defineActor({
  name: 'election',
  machine: createElectionMachine,
  worker: new URL('./worker.ts', import.meta.url),
  validate: (msg) => {
    switch (msg.type) {
      case 'election.campaign':
      case 'election.resign':
      case 'election.view':
        return isGroup(msg.group) ? undefined : 'group must be a string of 1-256 characters'
      case 'election.fence':
        if (!isGroup(msg.group)) return 'group must be a string of 1-256 characters'
        return Number.isSafeInteger(msg.term) && msg.term >= 0 ? undefined : 'term must be an integer >= 0'
      default:
        return undefined
    }
  },
})

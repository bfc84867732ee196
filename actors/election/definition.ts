/**
 * The election actor: one definition for both placements. It hosts an election backend: nats
 * (whose connection lives in the actor's thread: a restart in place keeps it in the resource slot,
 * a new thread opens a new one and competes again), or membership (the leases in the context).
 */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createElectionMachine } from './machine.ts'

const TIMER_KEYS = new Set<unknown>(['campaign', 'campaign-timeout', 'renew', 'lease-end', 'campaign-retry', 'observed', 'fence'])
const isGroup = (g: unknown) => typeof g === 'string' && g.length > 0 && g.length <= 256

export const election = defineActor({
  name: 'election',
  machine: createElectionMachine,
  worker: new URL('./worker.ts', import.meta.url),
  /**
   * Persisted after every turn that changed the context: the membership backend's voter promises
   * must survive a restart (voter.ts: persist before grant; the machine sends a grant only after
   * the turn that made its promise ended). The nats backend reopens its connection after a restore.
   */
  persist: { version: 1, throttleMs: 0 },
  validate: (msg) => {
    switch (msg.type) {
      case 'election.campaign':
      case 'election.resign':
      case 'election.view':
        return isGroup(msg.group) ? undefined : 'group must be a string of 1-256 characters'
      case 'election.fence':
        if (!isGroup(msg.group)) return 'group must be a string of 1-256 characters'
        return Number.isSafeInteger(msg.term) && msg.term >= 0 ? undefined : 'term must be an integer >= 0'
      case 'member.event':
        return Array.isArray(msg.members) && typeof msg.event === 'string' ? undefined : 'member.event needs event (string) and members (array)'
      case 'partition.changed':
        return msg.status === 'healthy' || msg.status === 'degraded' || msg.status === 'minority' ? undefined : 'partition.changed needs status healthy | degraded | minority'
      case 'gossamer.message':
        return typeof msg.from === 'string' && typeof msg.channel === 'string' && msg.body instanceof Uint8Array ? undefined : 'gossamer.message needs from, channel (strings) and body (Uint8Array)'
      case 'election.timer':
        return isGroup(msg.group) && TIMER_KEYS.has(msg.key) ? undefined : 'election.timer needs a group and a lease timer key'
      default:
        return undefined
    }
  },
})

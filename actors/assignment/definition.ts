/**
 * The assignment actor: one definition for both placements. Persisted (the seam's pattern: a
 * crashed actor restarts from its own snapshot, the node need not know): the groups with their
 * registrations (group, partitions, strategy, weight), term guards and accepted assignments, and
 * the member table. On `runtime.restored` it follows every group again (actor-core.ts `restored`):
 * it tells its leader about itself, asks the election who leads, and a node that leads starts its
 * calculator again; open `node.assignments()` streams resume (the runtime keeps subscriptions
 * across restarts). The node's own registration could have been sent again instead, but the member
 * table, the term guards and the accepted assignment (which a membership leader restarts from)
 * live only here.
 *
 * Persisted at once after a turn that changed what a restart cannot learn again (`urgentKey`: the
 * member table, which member-manager reports only as it changes, each group's own registration, and
 * the registrations a leader knows of its workers: membership workers tell their leader only once
 * it changes, and a leader sends its assignments only to the workers it knows); the rest at most
 * once every 5 s: the leader (asked of the election at a restore), the accepted assignment and term
 * guard (the leader or the store sends the one in force again; a worker that an assignment of its
 * leader does not count tells it again: actor-worker.ts offerBytes), counters, and the
 * calculator's working state (a restore drops it). Why not every turn: a leader's context at W = 1,000 holds about 3,000
 * objects and two 200 KB assignments, and the worker placement clones it to post it (about 2 ms of
 * the actor's turn, more on a loaded machine); an urgent accepted assignment would put that into
 * every publication's turn. What a restore can lose with the last 5 s: a membership leader that
 * restarts from an accepted assignment one version old publishes that version again, which the
 * workers refuse as a duplicate (counted), and the next one is accepted. Immutable: the core builds
 * new objects on every change (copy-on-write steps, BucketMap), so a persist keeps the record by
 * reference (the worker placement still clones it once to post it).
 */
import { defineActor } from '../../src/runtime/define-actor.ts'
import type { AssignmentActorState } from './actor-state.ts'
import { createAssignmentMachine } from './machine.ts'
import { STRATEGY_NAMES } from './strategies/registry.ts'

/** What a restart cannot do without: a few field reads a group (at most maxGroups groups). */
function urgentKey(c: AssignmentActorState): unknown[] {
  const key: unknown[] = [c.members]
  for (const name in c.groups) {
    const g = c.groups[name]!
    key.push(g.local, g.registrations)
  }
  return key
}

const isGroup = (g: unknown) => typeof g === 'string' && g.length > 0 && new TextEncoder().encode(g).length <= 255

export const assignment = defineActor({
  name: 'assignment',
  machine: createAssignmentMachine,
  worker: new URL('./worker.ts', import.meta.url),
  persist: { version: 1, throttleMs: 1_000, immutable: true, urgentKey: (snap) => urgentKey(snap.context as AssignmentActorState) },
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

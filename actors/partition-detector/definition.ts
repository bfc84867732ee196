/** The partition-detector actor: one definition for both placements (worker thread or inline). */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createPartitionDetectorMachine } from './machine.ts'
import type { PartitionDetectorInbound } from './protocol.ts'

const EVENTS = ['member-join', 'member-leave', 'member-failed', 'member-update', 'member-reap']
const TIMER_KEYS = ['stable', 'unstable']
/** Far above any member-manager event (one per run of changes); a bigger one is not member-manager's. */
export const MAX_EVENT_MEMBERS = 100_000

const ACCEPTS: readonly PartitionDetectorInbound['type'][] = ['member.event', 'partition.status', 'partition.timer', 'partition.persisted']

export const partitionDetector = defineActor({
  name: 'partition-detector',
  machine: createPartitionDetectorMachine,
  worker: new URL('./worker.ts', import.meta.url),
  accepts: ACCEPTS,
  /**
   * Persisted snapshots, restored by the supervisor after a crash: the context is the core's state
   * (view, mark, armed timers with due times, counters), a few KiB for a small cluster. throttleMs 0:
   * a mark raised in one turn is never lost to a throttle window. A node restart keeps the mark
   * through the mark store instead (machine.ts).
   */
  persist: { version: 1, throttleMs: 0 },
  validate: (msg) => {
    switch (msg.type) {
      case 'member.event':
        if (!EVENTS.includes(msg.event)) return `event must be one of ${EVENTS.join(', ')}`
        if (!Array.isArray(msg.members) || msg.members.length > MAX_EVENT_MEMBERS) return `members must be an array of at most ${MAX_EVENT_MEMBERS}`
        for (let i = 0; i < msg.members.length; i++) {
          const name = (msg.members[i] as { name?: unknown } | null)?.name
          if (typeof name !== 'string' || name.length === 0) return `members[${i}].name must be a non-empty string`
        }
        return undefined
      case 'partition.timer':
        return TIMER_KEYS.includes(msg.key) ? undefined : `key must be one of ${TIMER_KEYS.join(', ')}`
      case 'partition.persisted':
        if (msg.op !== 'load' && msg.op !== 'save') return "op must be 'load' or 'save'"
        if (!Number.isSafeInteger(msg.highWater) || msg.highWater < 0) return 'highWater must be an integer >= 0'
        return undefined
      default:
        return undefined
    }
  },
})

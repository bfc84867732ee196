/** The snapshotter actor: one definition for both placements (worker thread by default, or inline). */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createSnapshotterMachine } from './machine.ts'
import type { SnapshotterIn } from './protocol.ts'

/** What other actors may send (the machine's internal events are not accepted from outside). */
const ACCEPTS: readonly SnapshotterIn['type'][] = [
  'snapshot.member-alive',
  'snapshot.member-not-alive',
  'snapshot.clock',
  'snapshot.event-clock',
  'snapshot.query-clock',
  'snapshot.records',
  'snapshot.leave',
  'snapshot.sync',
  'snapshot.stats',
  'snapshot.restore',
  'snapshot.members',
]

const isName = (v: unknown) => typeof v === 'string' && !v.includes('\n') && !v.includes('\r')
const isLtime = (v: unknown) => typeof v === 'bigint' && v >= 0n && v < 1n << 64n
const isAddr = (addr: unknown, port: unknown) =>
  addr instanceof Uint8Array && (addr.length === 4 || addr.length === 16) && Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535

export const snapshotter = defineActor({
  name: 'snapshotter',
  machine: createSnapshotterMachine,
  worker: new URL('./worker.ts', import.meta.url),
  accepts: ACCEPTS,
  validate: (msg) => {
    switch (msg.type) {
      case 'snapshot.member-alive':
        if (!isName(msg.name)) return 'name must be a string without line breaks'
        if (!isAddr(msg.addr, msg.port)) return 'addr must be 4 or 16 IP bytes and port 0..65535'
        return undefined
      case 'snapshot.member-not-alive':
        return isName(msg.name) ? undefined : 'name must be a string without line breaks'
      case 'snapshot.clock':
      case 'snapshot.event-clock':
      case 'snapshot.query-clock':
        return isLtime(msg.ltime) ? undefined : 'ltime must be a u64 bigint'
      case 'snapshot.records': {
        if (!Array.isArray(msg.records)) return 'records must be an array'
        for (let i = 0; i < msg.records.length; i++) {
          const r = msg.records[i]!
          const bad =
            r.kind === 'member-alive'
              ? !isName(r.name) || !isAddr(r.addr, r.port)
              : r.kind === 'member-not-alive'
                ? !isName(r.name)
                : r.kind === 'clock' || r.kind === 'event-clock' || r.kind === 'query-clock'
                  ? !isLtime(r.ltime)
                  : true
          if (bad) return `records[${i}] is not a valid ${String((r as { kind?: unknown }).kind)} record`
        }
        return undefined
      }
      case 'snapshot.members': {
        if (!Array.isArray(msg.members)) return 'members must be an array'
        for (let i = 0; i < msg.members.length; i++) {
          const m = msg.members[i]!
          if (!isName(m.name) || !isAddr(m.addr, m.port)) return `members[${i}] needs a name without line breaks, 4 or 16 IP bytes and a port`
        }
        return undefined
      }
      default:
        return undefined
    }
  },
  // The writer's own shutdown report becomes the runtime's exit report: records received and not
  // made durable turn `system.shutdown()` unclean, with the count and the disk error.
  exitReport: ({ shutdown: r }) =>
    r === undefined || r.clean
      ? undefined
      : { clean: false, reason: 'snapshot records left unwritten', unwritten: r.remaining, ...(r.error !== undefined ? { error: r.error } : {}) },
})

/** The snapshotter actor: one definition for both placements (worker thread by default, or inline). */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createSnapshotterMachine } from './machine.ts'
import type { RecordsMsg, SnapshotRecord, SnapshotterIn } from './protocol.ts'

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

/** The per-record intake messages the runtime may merge into one `snapshot.records` batch. */
const COALESCED = [
  'snapshot.member-alive',
  'snapshot.member-not-alive',
  'snapshot.clock',
  'snapshot.event-clock',
  'snapshot.query-clock',
  'snapshot.records',
] as const satisfies readonly SnapshotterIn['type'][]
type CoalescedMsg = Extract<SnapshotterIn, { type: (typeof COALESCED)[number] }>

/**
 * One `snapshot.records` batch holding exactly the records of `msgs`, in order (a batch's records
 * are taken as they are): the writer applies a batch record by record, so the file, the watermarks
 * and the per-record counts are those of the messages one by one. `coalesced` keeps the count of
 * messages (refusals are counted per message). Pure; exported for tests.
 */
export function recordsOf(msgs: readonly CoalescedMsg[]): RecordsMsg {
  const records: SnapshotRecord[] = []
  let coalesced = 0
  for (const m of msgs) {
    if (m.type === 'snapshot.records') {
      for (const r of m.records) records.push(r)
      coalesced += m.coalesced ?? 1
    } else {
      records.push(recordOf(m))
      coalesced++
    }
  }
  return { type: 'snapshot.records', records, coalesced }
}

/** The record one per-record message stands for. */
function recordOf(m: Exclude<CoalescedMsg, RecordsMsg>): SnapshotRecord {
  switch (m.type) {
    case 'snapshot.member-alive':
      return { kind: 'member-alive', name: m.name, addr: m.addr, port: m.port }
    case 'snapshot.member-not-alive':
      return { kind: 'member-not-alive', name: m.name }
    case 'snapshot.clock':
      return { kind: 'clock', ltime: m.ltime }
    case 'snapshot.event-clock':
      return { kind: 'event-clock', ltime: m.ltime }
    case 'snapshot.query-clock':
      return { kind: 'query-clock', ltime: m.ltime }
  }
}

export const snapshotter = defineActor({
  name: 'snapshotter',
  machine: createSnapshotterMachine,
  worker: new URL('./worker.ts', import.meta.url),
  accepts: ACCEPTS,
  // A burst of one-record messages costs one machine event per delivery batch, not per record.
  coalesce: { types: COALESCED, into: recordsOf, max: 1024 },
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
        if (msg.coalesced !== undefined && !(Number.isInteger(msg.coalesced) && msg.coalesced >= 1 && msg.coalesced <= 1 << 20)) {
          return 'coalesced must be an integer 1..1048576 (the messages the batch stands for)'
        }
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

/**
 * The snapshotter's core at the actor seam: `step(state, input) -> { state, effects }`, pure (no
 * I/O, no clock, no randomness). The state is the machine's context; the machine runs the effects
 * as actions (machine.ts), and the placement's writer (held in the actor's resource slot, see
 * implementations.ts) does the file work an effect asks for.
 *
 * Record messages leave the state as it is and return one `write` effect (the same object every
 * time for a given message: nothing but the effect list is made per record); the state object is
 * replaced only when a field changes, so the machine copies nothing on the record path.
 */
import type { WireError } from '../../src/errors/index.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { SnapshotRestore, SnapshotterIn, SnapshotterInput } from './protocol.ts'
import type { ShutdownReport } from './writer-types.ts'

/** Record messages: handed to the writer unless the file could not be opened. */
export type RecordMessage = Extract<
  SnapshotterIn,
  { type: 'snapshot.member-alive' | 'snapshot.member-not-alive' | 'snapshot.clock' | 'snapshot.event-clock' | 'snapshot.query-clock' | 'snapshot.records' | 'snapshot.members' }
>

export const RECORD_TYPES = [
  'snapshot.member-alive',
  'snapshot.member-not-alive',
  'snapshot.clock',
  'snapshot.event-clock',
  'snapshot.query-clock',
  'snapshot.records',
  'snapshot.members',
] as const satisfies readonly RecordMessage['type'][]

export interface SnapshotterCoreState {
  input: SnapshotterInput
  restored: SnapshotRestore | undefined
  /** `snapshot.restore` asks that arrived while the file was still being replayed. */
  restoreWaiters: ReplyTo<SnapshotRestore>[]
  /** A leave was recorded (and rejoin-after-leave is off): member records are ignored now. */
  left: boolean
  compacting: boolean
  compactions: number
  /**
   * The disk error the live file's writes are stuck on (disk full, EIO), until a retry repairs
   * it; sync and leave asks fail with it meanwhile. Undefined while writing works.
   */
  diskError: WireError | undefined
  openError: WireError | undefined
  /** Messages refused because the file could not be opened. */
  refused: number
  /** Shutdown began: a restore ask that can no longer be answered fails at once. */
  stopping: boolean
  shutdown: ShutdownReport | undefined
}

/** What the core is given: a message, or news from the writer (the machine's invoked actors). */
export type CoreInput =
  | SnapshotterIn
  | { type: 'snapshot.internal.opened'; restore: SnapshotRestore }
  | { type: 'snapshot.internal.open-failed'; error: WireError }
  | { type: 'snapshot.internal.compaction-started' }
  | { type: 'snapshot.internal.compaction-finished'; ok: boolean }
  | { type: 'snapshot.internal.disk-error'; error: WireError }
  | { type: 'snapshot.internal.disk-recovered' }
  | { type: 'snapshot.internal.stopping' }
  | { type: 'snapshot.internal.stopped'; report: ShutdownReport | undefined; error?: WireError }

/** Plain data: what the machine's actions do with the writer, the replies and the log. */
export type CoreEffect =
  /** Hand the record message to the writer (O(1), never waits). */
  | { type: 'write'; msg: RecordMessage }
  /** A record message refused (the file could not be opened): counted where stats report it. */
  | { type: 'refuse'; count: number }
  | { type: 'leave'; replyTo: ReplyTo<unknown> | undefined }
  | { type: 'sync'; replyTo: ReplyTo<unknown> | undefined }
  | { type: 'stats'; replyTo: ReplyTo<unknown> | undefined }
  | { type: 'reply'; to: ReplyTo<unknown> | undefined; value: unknown }
  | { type: 'fail'; to: ReplyTo<unknown> | undefined; error: WireError }
  | { type: 'log'; level: 'warn' | 'error'; fields: Record<string, unknown>; msg: string }

export interface CoreStep {
  state: SnapshotterCoreState
  effects: CoreEffect[]
}

const CLOSED: WireError = { code: 'ERR_SNAPSHOT_CLOSED', message: 'the snapshotter stopped before the file was replayed' }
const NONE: CoreEffect[] = []

export function initialCoreState(input: SnapshotterInput): SnapshotterCoreState {
  return {
    input,
    restored: undefined,
    restoreWaiters: [],
    left: false,
    compacting: false,
    compactions: 0,
    diskError: undefined,
    openError: undefined,
    refused: 0,
    stopping: false,
    shutdown: undefined,
  }
}

/** Messages a record message stands for: a coalesced batch counts as the messages it merged. */
export const messageCount = (m: RecordMessage): number => (m.type === 'snapshot.records' ? (m.coalesced ?? 1) : 1)

const same = (state: SnapshotterCoreState, effects: CoreEffect[] = NONE): CoreStep => ({ state, effects })
const next = (state: SnapshotterCoreState, change: Partial<SnapshotterCoreState>, effects: CoreEffect[] = NONE): CoreStep => ({
  state: { ...state, ...change },
  effects,
})

export function step(state: SnapshotterCoreState, input: CoreInput): CoreStep {
  switch (input.type) {
    case 'snapshot.member-alive':
    case 'snapshot.member-not-alive':
    case 'snapshot.clock':
    case 'snapshot.event-clock':
    case 'snapshot.query-clock':
    case 'snapshot.records':
    case 'snapshot.members':
      if (state.openError !== undefined) {
        const n = messageCount(input)
        return next(state, { refused: state.refused + n }, [{ type: 'refuse', count: n }])
      }
      return same(state, [{ type: 'write', msg: input }])
    case 'snapshot.sync':
      if (state.openError !== undefined) return same(state, [{ type: 'fail', to: input.replyTo, error: state.openError }])
      return same(state, [{ type: 'sync', replyTo: input.replyTo }])
    case 'snapshot.stats':
      return same(state, [{ type: 'stats', replyTo: input.replyTo }])
    case 'snapshot.leave': {
      if (state.openError !== undefined) return same(state, [{ type: 'fail', to: input.replyTo, error: state.openError }])
      const effects: CoreEffect[] = [{ type: 'leave', replyTo: input.replyTo }]
      return state.input.rejoinAfterLeave === true || state.left ? same(state, effects) : next(state, { left: true }, effects)
    }
    case 'snapshot.restore':
      if (state.restored !== undefined) return same(state, [{ type: 'reply', to: input.replyTo, value: state.restored }])
      if (state.openError !== undefined) return same(state, [{ type: 'fail', to: input.replyTo, error: state.openError }])
      if (state.stopping) return same(state, [{ type: 'fail', to: input.replyTo, error: CLOSED }])
      // Still replaying: answered when the replay ends.
      return input.replyTo === undefined ? same(state) : next(state, { restoreWaiters: [...state.restoreWaiters, input.replyTo] })
    case 'snapshot.internal.opened':
      return next(
        state,
        { restored: input.restore, restoreWaiters: [] },
        state.restoreWaiters.map((to) => ({ type: 'reply', to, value: input.restore })),
      )
    case 'snapshot.internal.open-failed':
      return next(state, { openError: input.error, restoreWaiters: [] }, [
        { type: 'log', level: 'error', fields: { err: input.error, path: state.input.path }, msg: 'snapshot file cannot be opened' },
        ...state.restoreWaiters.map((to): CoreEffect => ({ type: 'fail', to, error: input.error })),
      ])
    case 'snapshot.internal.compaction-started':
      return state.compacting ? same(state) : next(state, { compacting: true })
    case 'snapshot.internal.compaction-finished':
      return next(state, { compacting: false, compactions: state.compactions + (input.ok ? 1 : 0) })
    case 'snapshot.internal.disk-error':
      return next(state, { diskError: input.error })
    case 'snapshot.internal.disk-recovered':
      return state.diskError === undefined ? same(state) : next(state, { diskError: undefined })
    case 'snapshot.internal.stopping':
      // Restore asks still waiting for a replay that will not finish learn it now.
      return next(
        state,
        { stopping: true, restoreWaiters: [] },
        state.restoreWaiters.map((to): CoreEffect => ({ type: 'fail', to, error: CLOSED })),
      )
    case 'snapshot.internal.stopped': {
      const r = input.report
      if (r === undefined) {
        return same(state, [{ type: 'log', level: 'error', fields: { err: input.error }, msg: 'snapshot shutdown failed' }])
      }
      const effects: CoreEffect[] = r.clean
        ? NONE
        : [{ type: 'log', level: 'warn', fields: { remaining: r.remaining, elapsedMs: r.elapsedMs, ...(r.error ? { err: r.error } : {}) }, msg: 'snapshot shutdown left records unwritten' }]
      return next(state, { shutdown: r }, effects)
    }
  }
}

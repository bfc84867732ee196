/**
 * The snapshotter machine. Pure: it decides what happens in which state and answers what it can
 * from its context; the file work is done by implementations the placement provides
 * (implementations.ts, around a SnapshotWriter on a real or in-memory disk):
 * - actor `open`     replays the file and opens it for append (→ running, or failed);
 * - actor `notices`  reports compaction phases back as internal events (for the live chart);
 * - actor `shutdown` drains, writes, fsyncs and closes (→ stopped, a final state);
 * - actions `record`, `leave`, `sync`, `stats` hand messages to the writer (O(1), never waiting).
 *
 *   opening ──open done──▶ running(active ⇄ left) ──runtime.shutdown──▶ stopping ──▶ stopped
 *      └──open failed──▶ failed ──runtime.shutdown──▶ stopped
 */
import { assign, fromCallback, fromPromise, raise, setup } from 'xstate'
import type { ActorEnv, ReplyTo, RuntimeEvent } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import { ClusterError, toWireError } from '../../src/errors/index.ts'
import type { ReplayResult } from './replay.ts'
import { restoredState } from './replay.ts'
import type { ShutdownReport } from './writer.ts'
import type {
  LeaveMsg,
  SnapshotRestore,
  SnapshotterIn,
  SnapshotterInput,
  StatsMsg,
  SyncMsg,
} from './protocol.ts'

/** Record messages: handed to the writer in every state but `failed`. */
export type RecordMessage = Extract<
  SnapshotterIn,
  { type: 'snapshot.member-alive' | 'snapshot.member-not-alive' | 'snapshot.clock' | 'snapshot.event-clock' | 'snapshot.query-clock' | 'snapshot.records' | 'snapshot.members' }
>

/** Events the provided `notices` actor sends back (not accepted from other actors). */
export type SnapshotterInternal =
  | { type: 'snapshot.internal.compaction-started' }
  | { type: 'snapshot.internal.compaction-finished'; ok: boolean }
  | { type: 'snapshot.internal.check-left' }
  | { type: 'snapshot.internal.disk-error'; error: WireError }
  | { type: 'snapshot.internal.disk-recovered' }

export interface SnapshotterContext {
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
  shutdown: ShutdownReport | undefined
}

const RECORD_TYPES = [
  'snapshot.member-alive',
  'snapshot.member-not-alive',
  'snapshot.clock',
  'snapshot.event-clock',
  'snapshot.query-clock',
  'snapshot.records',
  'snapshot.members',
] as const

export function createSnapshotterMachine(env: ActorEnv) {
  const noStore = (): never => {
    throw new ClusterError('ERR_SNAPSHOT_NOT_PROVIDED', 'snapshotter: no store implementation provided (spawn it with its platform implementations)')
  }
  const toRestore = (r: ReplayResult, input: SnapshotterInput): SnapshotRestore => {
    const s = restoredState(r, input.nodeName ?? '', () => env.random.next())
    return { ...s, corruptLines: r.counts.corruptLines, tornBytes: r.counts.tornBytes, unknownLines: r.counts.unknownLines }
  }
  const leaveAction = { type: 'leave' as const, params: ({ event }: { event: SnapshotterEvent }) => ({ replyTo: (event as LeaveMsg).replyTo }) }
  const markLeft = assign<SnapshotterContext, SnapshotterEvent, undefined, SnapshotterEvent, never>({
    left: ({ context }) => context.input.rejoinAfterLeave !== true,
  })
  const recordOn = Object.fromEntries(RECORD_TYPES.map((t) => [t, { actions: { type: 'record' as const, params: ({ event }: { event: SnapshotterEvent }) => ({ msg: event as RecordMessage }) } }]))

  return setup({
    types: {} as {
      context: SnapshotterContext
      events: SnapshotterEvent
      input: SnapshotterInput
    },
    actors: {
      open: fromPromise<ReplayResult, SnapshotterInput>(async () => noStore()),
      shutdown: fromPromise<ShutdownReport, void>(async () => noStore()),
      notices: fromCallback<SnapshotterEvent>(() => undefined),
    },
    actions: {
      record: (_, _params: { msg: RecordMessage }) => {},
      /** A record message refused in `failed`: counted where `snapshot.stats` reports it. */
      refuse: () => {},
      leave: (_, _params: { replyTo: ReplyTo<unknown> | undefined }) => {},
      sync: (_, _params: { replyTo: SyncMsg['replyTo'] }) => {},
      stats: (_, _params: { replyTo: StatsMsg['replyTo'] }) => {},
    },
  }).createMachine({
    id: 'snapshotter',
    context: ({ input }) => ({
      input,
      restored: undefined,
      restoreWaiters: [],
      left: false,
      compacting: false,
      compactions: 0,
      diskError: undefined,
      openError: undefined,
      refused: 0,
      shutdown: undefined,
    }),
    invoke: { id: 'notices', src: 'notices' },
    on: {
      ...recordOn,
      'snapshot.sync': { actions: { type: 'sync', params: ({ event }) => ({ replyTo: (event as SyncMsg).replyTo }) } },
      'snapshot.stats': { actions: { type: 'stats', params: ({ event }) => ({ replyTo: (event as StatsMsg).replyTo }) } },
      'snapshot.leave': { actions: [leaveAction, markLeft] },
      'snapshot.restore': {
        actions: ({ context, event }) => {
          if (context.restored !== undefined) env.reply(event.replyTo, context.restored)
          else env.fail(event.replyTo, { code: 'ERR_SNAPSHOT_CLOSED', message: 'the snapshotter stopped before the file was replayed' })
        },
      },
      'snapshot.internal.compaction-started': { actions: assign({ compacting: true }) },
      'snapshot.internal.disk-error': { actions: assign({ diskError: ({ event }) => event.error }) },
      'snapshot.internal.disk-recovered': { actions: assign({ diskError: undefined }) },
      'snapshot.internal.compaction-finished': {
        actions: assign({
          compacting: false,
          compactions: ({ context, event }) => context.compactions + (event.ok ? 1 : 0),
        }),
      },
    },
    initial: 'opening',
    states: {
      opening: {
        invoke: {
          src: 'open',
          input: ({ context }) => context.input,
          onDone: {
            target: 'running',
            actions: [
              assign({ restored: ({ context, event }) => toRestore(event.output, context.input) }),
              ({ context }) => {
                for (const to of context.restoreWaiters) env.reply(to, context.restored!)
              },
              assign({ restoreWaiters: [] }),
            ],
          },
          onError: {
            target: 'failed',
            actions: [
              assign({ openError: ({ event }) => toWireError(event.error) }),
              ({ context }) => {
                env.log.error({ err: context.openError, path: context.input.path }, 'snapshot file cannot be opened')
                for (const to of context.restoreWaiters) env.fail(to, context.openError!)
              },
              assign({ restoreWaiters: [] }),
            ],
          },
        },
        on: {
          'snapshot.restore': {
            actions: assign({ restoreWaiters: ({ context, event }) => (event.replyTo === undefined ? context.restoreWaiters : [...context.restoreWaiters, event.replyTo]) }),
          },
          'runtime.shutdown': 'stopping',
        },
      },
      running: {
        initial: 'active',
        states: {
          // No eventless transitions here: they would be evaluated after every record message.
          active: {
            // A leave that arrived during replay was applied by the writer after it: show it.
            entry: raise({ type: 'snapshot.internal.check-left' }),
            on: {
              'snapshot.internal.check-left': { guard: ({ context }) => context.left, target: 'left' },
              'snapshot.leave': [
                { guard: ({ context }) => context.input.rejoinAfterLeave !== true, target: 'left', actions: [leaveAction, markLeft] },
                { actions: leaveAction },
              ],
            },
          },
          /** Member and event records are ignored (and counted) from here on. */
          left: {},
        },
        on: { 'runtime.shutdown': 'stopping' },
      },
      failed: {
        on: {
          ...Object.fromEntries(RECORD_TYPES.map((t) => [t, { actions: [assign({ refused: ({ context }) => context.refused + 1 }), 'refuse' as const] }])),
          'snapshot.sync': { actions: ({ context, event }) => env.fail(event.replyTo, context.openError!) },
          'snapshot.leave': { actions: ({ context, event }) => env.fail(event.replyTo, context.openError!) },
          'snapshot.restore': { actions: ({ context, event }) => env.fail(event.replyTo, context.openError!) },
          'runtime.shutdown': 'stopped',
        },
      },
      stopping: {
        invoke: {
          src: 'shutdown',
          onDone: {
            target: 'stopped',
            actions: [
              assign({ shutdown: ({ event }) => event.output }),
              ({ event }) => {
                const r = event.output
                if (!r.clean) env.log.warn({ remaining: r.remaining, elapsedMs: r.elapsedMs, ...(r.error ? { err: r.error } : {}) }, 'snapshot shutdown left records unwritten')
              },
            ],
          },
          onError: { target: 'stopped', actions: ({ event }) => env.log.error({ err: toWireError(event.error) }, 'snapshot shutdown failed') },
        },
      },
      stopped: { type: 'final' },
    },
  })
}

export type SnapshotterEvent = SnapshotterIn | SnapshotterInternal | RuntimeEvent
export type SnapshotterMachine = ReturnType<typeof createSnapshotterMachine>

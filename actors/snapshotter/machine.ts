/**
 * The snapshotter machine. Pure: its context IS the core's state (core.ts), every event goes
 * through the core's `step`, and the effects the core returns run as actions. The file work is done
 * by implementations the placement provides (implementations.ts, around a SnapshotWriter on a real
 * or in-memory disk, held in the actor's resource slot):
 * - actor `open`     replays the file and opens it for append (→ running, or failed);
 * - actor `notices`  reports compaction phases and disk errors back as internal events;
 * - actor `shutdown` drains, writes, fsyncs and closes (→ stopped, a final state);
 * - actions `record`, `refuse`, `leave`, `sync`, `stats` run the core's effects on the writer
 *   (O(1), never waiting); replies and logs go through the env.
 *
 *   opening ──open done──▶ running(active ⇄ left) ──runtime.shutdown──▶ stopping ──▶ stopped
 *      └──open failed──▶ failed ──runtime.shutdown──▶ stopped
 */
import { enqueueActions, fromCallback, fromPromise, setup } from 'xstate'
import type { ActorEnv, ReplyTo, RuntimeEvent } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import { ClusterError, toWireError } from '../../src/errors/index.ts'
import type { ReplayResult } from './replay.ts'
import { restoredState } from './restored-state.ts'
import type { ShutdownReport } from './writer-types.ts'
import { initialCoreState, RECORD_TYPES, step, type CoreEffect, type CoreInput, type RecordMessage, type SnapshotterCoreState } from './core.ts'
import type { SnapshotRestore, SnapshotterIn, SnapshotterInput, StatsMsg, SyncMsg } from './protocol.ts'

export type { RecordMessage } from './core.ts'

/** Events the provided `notices` actor sends back (not accepted from other actors). */
export type SnapshotterInternal =
  | { type: 'snapshot.internal.compaction-started' }
  | { type: 'snapshot.internal.compaction-finished'; ok: boolean }
  | { type: 'snapshot.internal.disk-error'; error: WireError }
  | { type: 'snapshot.internal.disk-recovered' }

/** The machine's context: the core's state itself (no mirror, no closure state). */
export type SnapshotterContext = SnapshotterCoreState

type StepParams = { input?: CoreInput } | undefined

export function createSnapshotterMachine(env: ActorEnv) {
  const noStore = (): never => {
    throw new ClusterError('ERR_SNAPSHOT_NOT_PROVIDED', 'snapshotter: no store implementation provided (spawn it with its platform implementations)')
  }
  // The previous members come back shuffled with the actor's seeded random (deterministic in tests).
  const toRestore = (r: ReplayResult, input: SnapshotterInput): SnapshotRestore => {
    const s = restoredState(r, input.nodeName ?? '', () => env.random.next())
    return { ...s, corruptLines: r.counts.corruptLines, tornBytes: r.counts.tornBytes, unknownLines: r.counts.unknownLines }
  }
  // The record path runs the core's answer directly: for a record message, while the file has not
  // failed to open (every state but `failed`), `step` returns the state unchanged and one `write`
  // effect of the message itself (core.test.ts checks it), so the machine hands the message to the
  // writer without making the step's objects: this path runs once per record, the rest rarely.
  // The handlers sit on the atomic states (not the root): XState looks for a transition from the
  // active leaf upwards, one lookup per level, on every event.
  const recordOn = Object.fromEntries(RECORD_TYPES.map((t) => [t, { actions: 'record' as const }]))
  // In `failed` the core refuses (and counts) them: the full step.
  const refuseOn = Object.fromEntries(RECORD_TYPES.map((t) => [t, { actions: 'step' as const }]))

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
      // The effects that need the writer, provided by the placement.
      /** The `write` effect: the message from the params, or (the record path) the event itself. */
      record: (_, _params: { msg: RecordMessage } | undefined) => {},
      /** A record message refused in `failed`: counted where `snapshot.stats` reports it. */
      refuse: (_, _params: { count: number }) => {},
      leave: (_, _params: { replyTo: ReplyTo<unknown> | undefined }) => {},
      sync: (_, _params: { replyTo: SyncMsg['replyTo'] }) => {},
      stats: (_, _params: { replyTo: StatsMsg['replyTo'] }) => {},
      /** One turn of the core: the input is the event itself unless the transition makes one. */
      // (Typed as the plain action it stands for: enqueueActions cannot name the setup's own actions.)
      step: enqueueActions(({ context, event, enqueue }, params: StepParams) => {
        const r = step(context as SnapshotterContext, params?.input ?? (event as CoreInput))
        if (r.state !== context) enqueue.assign(() => r.state)
        for (const e of r.effects) enqueue(effectAction(e) as never)
      }) as unknown as (_: unknown, params: StepParams) => void,
    },
  }).createMachine({
    id: 'snapshotter',
    context: ({ input }) => initialCoreState(input),
    invoke: { id: 'notices', src: 'notices' },
    on: {
      'snapshot.sync': { actions: 'step' },
      'snapshot.stats': { actions: 'step' },
      'snapshot.leave': { actions: 'step' },
      'snapshot.restore': { actions: 'step' },
      'snapshot.internal.compaction-started': { actions: 'step' },
      'snapshot.internal.compaction-finished': { actions: 'step' },
      'snapshot.internal.disk-error': { actions: 'step' },
      'snapshot.internal.disk-recovered': { actions: 'step' },
    },
    initial: 'opening',
    states: {
      opening: {
        invoke: {
          src: 'open',
          input: ({ context }) => context.input,
          onDone: [
            // A leave that arrived during replay was applied by the writer after it: show it.
            { guard: ({ context }) => context.left, target: 'running.left', actions: { type: 'step', params: ({ context, event }) => opened(event.output, context) } },
            { target: 'running', actions: { type: 'step', params: ({ context, event }) => opened(event.output, context) } },
          ],
          onError: {
            target: 'failed',
            actions: { type: 'step', params: ({ event }) => ({ input: { type: 'snapshot.internal.open-failed', error: toWireError(event.error) } }) },
          },
        },
        on: { ...recordOn, 'runtime.shutdown': 'stopping' },
      },
      running: {
        initial: 'active',
        states: {
          active: {
            on: {
              ...recordOn,
              'snapshot.leave': [{ guard: ({ context }) => context.input.rejoinAfterLeave !== true, target: 'left', actions: 'step' }, { actions: 'step' }],
            },
          },
          /** Member and event records are ignored (and counted) from here on. */
          left: { on: recordOn },
        },
        on: { 'runtime.shutdown': 'stopping' },
      },
      failed: {
        on: { ...refuseOn, 'runtime.shutdown': 'stopped' },
      },
      stopping: {
        on: recordOn,
        entry: { type: 'step', params: { input: { type: 'snapshot.internal.stopping' } } },
        invoke: {
          src: 'shutdown',
          onDone: { target: 'stopped', actions: { type: 'step', params: ({ event }) => ({ input: { type: 'snapshot.internal.stopped', report: event.output } }) } },
          onError: {
            target: 'stopped',
            actions: { type: 'step', params: ({ event }) => ({ input: { type: 'snapshot.internal.stopped', report: undefined, error: toWireError(event.error) } }) },
          },
        },
      },
      stopped: { type: 'final' },
    },
  })

  function opened(output: ReplayResult, context: SnapshotterContext): StepParams {
    return { input: { type: 'snapshot.internal.opened', restore: toRestore(output, context.input) } }
  }

  /** The action that runs one effect: replies and logs through the env, the writer's through the placement's actions. */
  function effectAction(e: CoreEffect): { type: string; params?: unknown } | (() => void) {
    switch (e.type) {
      case 'write':
        return { type: 'record', params: { msg: e.msg } }
      case 'refuse':
        return { type: 'refuse', params: { count: e.count } }
      case 'leave':
      case 'sync':
      case 'stats':
        return { type: e.type, params: { replyTo: e.replyTo } }
      case 'reply':
        return () => env.reply(e.to, e.value)
      case 'fail':
        return () => env.fail(e.to, e.error)
      case 'log':
        return () => env.log[e.level](e.fields, e.msg)
    }
  }
}

export type SnapshotterEvent = SnapshotterIn | SnapshotterInternal | RuntimeEvent
export type SnapshotterMachine = ReturnType<typeof createSnapshotterMachine>

/**
 * The partition-detector machine: the core (core.ts) behind messages. Its context IS the core's
 * state; every event becomes one `step(context, input)`, whose state is assigned and whose effects
 * the `runEffects` action runs: timers on the actor clock (a firing comes back as a
 * `partition.timer` message), the mark saved through the mark store, `partition.changed` emitted
 * (and told to the `events` peer), replies, warnings.
 *
 * The mark store is I/O, so it is plugged in (`provideMarkStore`): worker.ts gives the file store
 * (io/mark-file.ts), an inline spawn passes its own (a memory store in a simulation). Without a
 * `statePath` nothing is loaded or saved, and the mark survives supervised restarts only (the
 * runtime's persisted snapshot); with one but no store, every save is a counted, logged failure.
 */
import { enqueueActions, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { createHostTimers } from '../../src/types/host-timers.ts'
import { toWireError, ClusterError } from '../../src/errors/index.ts'
import { createPartitionDetectorConfig, type PartitionDetectorInit } from './config.ts'
import { startPartitionActor, step, type PartitionActorState, type PartitionCoreInput, type PartitionEffect } from './core.ts'
import { countsOf, type DetectorTimerKey } from './detector.ts'
import { latestWinsWriter, type MarkStore } from './mark-store.ts'
import type { PartitionChangedMsg, PartitionDetectorInbound, PartitionPersistedMsg } from './protocol.ts'

export interface PartitionDetectorInput {
  /** This node's name (member-manager reports it too; the detector always counts itself). */
  self: string
  config?: PartitionDetectorInit
  /** Where the mark store keeps the expected-size mark between runs of the node. */
  statePath?: string
  /** A mark the caller knows from elsewhere (raised further by the store's). */
  persistedHighWater?: number
  peers?: { events?: string }
}

export type PartitionDetectorContext = PartitionActorState

type PartitionEvent = PartitionDetectorInbound | RuntimeEvent

/** What `run` needs of XState's enqueuer: emit, and the store's save action by name. */
type Enqueue = { emit: (e: PartitionChangedMsg) => void } & ((a: { type: 'saveMark'; params: { highWater: number } }) => void)

/** The actions the mark store backs; `provideMarkStore` gives them a real store. */
type MarkAction = (args: { context: PartitionActorState }, params: { highWater: number }) => void

export function createPartitionDetectorMachine(env: ActorEnv) {
  // The runner's own I/O bookkeeping (no detector state): host timers by key, failed deliveries.
  const timers = createHostTimers<DetectorTimerKey>(env.clock)
  let undelivered = 0
  const self = actorAddress<PartitionDetectorInbound>(env.id)

  const armTimer = (key: DetectorTimerKey, ms: number): void =>
    timers.set(key, ms, () => {
      const status = env.send(self, { type: 'partition.timer', key })
      if (status === 'unknown' || status === 'stopped' || status === 'rejected') undelivered++
    })
  const cancelTimer = (key: DetectorTimerKey): void => timers.cancel(key)
  const tellEvents = (to: string, msg: PartitionChangedMsg): void => {
    const status = env.send(actorAddress<PartitionChangedMsg>(to), msg)
    if (status === 'unknown' || status === 'stopped' || status === 'rejected' || status === 'displaced') undelivered++
  }
  /** Without a store: a save to a statePath cannot happen; it is reported as a failure. */
  const noStore: MarkAction = ({ context }, { highWater }) => {
    if (context.statePath === null) return
    const error = toWireError(new ClusterError('ERR_PARTITION_NO_MARK_STORE', 'partition-detector: statePath is set but no mark store was provided (spawn with provideMarkStore)'))
    // Deferred: at the start the actor is not registered yet, and a send to it would be refused.
    queueMicrotask(() => void env.send(self, { type: 'partition.persisted', op: highWater === 0 ? 'load' : 'save', highWater, error }))
  }

  return setup({
    types: {} as { context: PartitionDetectorContext; events: PartitionEvent; input: PartitionDetectorInput },
    actions: {
      loadMark: noStore as never,
      saveMark: noStore as never,
      step: enqueueActions(({ context, event, enqueue }) => {
        const input = inputOf(event, env.clock.now())
        if (input === undefined) return
        const { state, effects } = step(context, input)
        if (state !== context) enqueue.assign(state)
        run(effects, state, enqueue as never)
      }),
      /** A fresh start (not a restore): the first status is published, and the saved mark is read back. */
      started: enqueueActions(({ context, enqueue }) => {
        const d = context.detector
        const first: PartitionChangedMsg = {
          type: 'partition.changed',
          change: { type: 'partition.status', status: d.status, previous: 'healthy', cause: 'stable', counts: countsOf(d), at: env.clock.now() },
          status: d.status,
          counts: countsOf(d),
        }
        run([{ type: 'emit', msg: first }], context, enqueue as never)
        if (context.statePath !== null) enqueue({ type: 'loadMark', params: { highWater: 0 } })
      }),
      cancelTimers: () => {
        timers.clear()
      },
      countUndelivered: enqueueActions(({ context, enqueue }) => {
        if (undelivered === 0) return
        const n = undelivered
        undelivered = 0
        enqueue.assign({ stats: { ...context.stats, undelivered: context.stats.undelivered + n } })
      }),
    },
  }).createMachine({
    id: 'partition-detector',
    context: ({ input }) => {
      const config = createPartitionDetectorConfig(input.config ?? {})
      const start = startPartitionActor({
        config,
        self: input.self,
        now: env.clock.now(),
        statePath: input.statePath ?? null,
        eventsPeer: input.peers?.events ?? null,
        persistedHighWater: input.persistedHighWater,
      })
      // The start's only effect is the first status, emitted by the `started` entry action.
      return start.state
    },
    initial: 'running',
    states: {
      running: {
        entry: 'started',
        on: {
          'member.event': { actions: ['step', 'countUndelivered'] },
          'partition.status': { actions: 'step' },
          'partition.timer': { actions: ['step', 'countUndelivered'] },
          'partition.persisted': { actions: ['step', 'countUndelivered'] },
          // XState does not re-arm timers on restore: the core re-arms them from their due times.
          'runtime.restored': { actions: ['step', 'countUndelivered'] },
          'runtime.shutdown': { target: 'stopped' },
        },
      },
      stopped: { type: 'final', entry: 'cancelTimers' },
    },
  })

  /** Runs one step's effects, in order. */
  function run(effects: readonly PartitionEffect[], state: PartitionActorState, enqueue: Enqueue): void {
    for (const e of effects) {
      switch (e.type) {
        case 'set-timer':
          armTimer(e.key, e.ms)
          break
        case 'cancel-timer':
          cancelTimer(e.key)
          break
        case 'persist':
          if (state.statePath !== null) enqueue({ type: 'saveMark', params: { highWater: e.highWater } })
          break
        case 'emit':
          enqueue.emit(e.msg)
          if (state.eventsPeer !== null) tellEvents(state.eventsPeer, e.msg)
          break
        case 'reply':
          env.reply(e.to as never, e.msg)
          break
        case 'warn':
          env.log.warn(e.obj, e.msg)
          break
      }
    }
  }
}

function inputOf(event: PartitionEvent, now: number): PartitionCoreInput | undefined {
  switch (event.type) {
    case 'runtime.restored':
      return { type: 'restored', now }
    case 'runtime.shutdown':
      return undefined
    case 'partition.status':
      return event
    default:
      return { ...event, now }
  }
}

/**
 * The mark store's implementations for `machine.provide(...)` (the definition's `provide`): loads
 * the saved mark at each start, saves every rise (one write at a time, the newest next), and
 * reports each outcome to the actor as `partition.persisted`.
 */
export function provideMarkStore(store: MarkStore) {
  return (env: ActorEnv) => {
    const self = actorAddress<PartitionPersistedMsg>(env.id)
    const report = (op: 'load' | 'save', highWater: number, error?: unknown) =>
      void env.send(self, error === undefined ? { type: 'partition.persisted', op, highWater } : { type: 'partition.persisted', op, highWater, error: toWireError(error) })
    const writers = new Map<string, (highWater: number) => void>()
    const loadMark: MarkAction = ({ context }) => {
      const path = context.statePath
      if (path === null) return
      store.load(path).then(
        (mark) => report('load', mark ?? 0),
        (err: unknown) => report('load', 0, err),
      )
    }
    const saveMark: MarkAction = ({ context }, { highWater }) => {
      const path = context.statePath
      if (path === null) return
      let write = writers.get(path)
      if (write === undefined) {
        write = latestWinsWriter(store, path, (r) => report('save', r.highWater, r.error))
        writers.set(path, write)
      }
      write(highWater)
    }
    return { actions: { loadMark, saveMark } } as never
  }
}

export type PartitionDetectorMachine = ReturnType<typeof createPartitionDetectorMachine>

/**
 * The snapshotter's implementations for `machine.provide(...)`: a SnapshotWriter on the given disk,
 * wired to the machine's named actors and the actions that run the core's effects. The disk and the
 * scheduling primitives are parameters, so worker.ts passes the real file system and setImmediate,
 * and tests spawn the same actor inline on a MemoryDisk.
 *
 * The writer holds the open file, so it lives in the actor's resource slot (`env.resources`, key
 * WRITER_SLOT), owned by the placement: not in the machine's context, nor in a module-level map.
 * A restart in place finds the previous incarnation's writer there and shuts it down before the
 * new one replays the file; the slot's release shuts it down when the actor stops for good.
 */
import { fromCallback, fromPromise } from 'xstate'
import type { ActorEnv, ReplyTo } from '../../src/types/actor-env.ts'
import { ClusterError, toWireError } from '../../src/errors/index.ts'
import { createSnapshotterConfig } from './config.ts'
import { configObject } from '../../src/config/fields.ts'
import { SnapshotDiskError } from './disk-error.ts'
import { emptyStats } from './metrics.ts'
import type { SnapshotDisk } from './disk.ts'
import type { RecordMessage, SnapshotterEvent, SnapshotterMachine } from './machine.ts'
import type { SnapshotProgress, SnapshotRecord, SnapshotterInput } from './protocol.ts'
import { formatTcpAddr } from './record.ts'
import { messageCount } from './core.ts'
import type { ProvideOf } from '../../src/runtime/define-actor.ts'
import { SnapshotWriter, type WriterNotice } from './writer.ts'

export interface SnapshotterPlatform {
  disk: SnapshotDisk
  /** Runs `fn` after the messages already queued on this thread (setImmediate). */
  defer(fn: () => void): void
  /** High-resolution monotonic ms for latency metrics (performance.now); defaults to the actor clock. */
  now?: () => number
  /** Optional observers (benchmarks, diagnostics): every progress report and writer notice. */
  observe?: { progress?(p: SnapshotProgress): void; notice?(n: WriterNotice): void }
}

/** The resource slot that holds the actor's SnapshotWriter. */
export const WRITER_SLOT = 'snapshotter.writer'

/** The writer of an actor (from its resource slot), for exit work (`onStop`), benches and tests. */
export function writerOf(env: Pick<ActorEnv, 'resources'>): SnapshotWriter | undefined {
  return env.resources?.get<SnapshotWriter>(WRITER_SLOT)
}

type SingleRecordMessage = Exclude<RecordMessage, { type: 'snapshot.records' | 'snapshot.members' }>

/** The record kind a single-record message carries (`snapshot.records` holds the same shapes). */
const KIND_OF: Record<SingleRecordMessage['type'], SnapshotRecord['kind']> = {
  'snapshot.member-alive': 'member-alive',
  'snapshot.member-not-alive': 'member-not-alive',
  'snapshot.clock': 'clock',
  'snapshot.event-clock': 'event-clock',
  'snapshot.query-clock': 'query-clock',
}

/**
 * Applies one record, from a `snapshot.records` entry or a single-record message (same fields, the
 * kind given apart): no object is made per record on this hot path.
 */
function applyRecord(w: SnapshotWriter, kind: SnapshotRecord['kind'], r: SnapshotRecord | SingleRecordMessage): void {
  const f = r as unknown as { name: string; addr: Uint8Array; port: number; ltime: bigint }
  switch (kind) {
    case 'member-alive':
      // Bytes and port were checked at the actor's boundary (definition.ts): the text is writable.
      return w.aliveAt(f.name, formatTcpAddr(f.addr, f.port))
    case 'member-not-alive':
      return w.notAlive(f.name)
    case 'clock':
      return w.memberClock(f.ltime)
    case 'event-clock':
      return w.eventClock(f.ltime)
    case 'query-clock':
      return w.queryClock(f.ltime)
  }
}

function applyMessage(w: SnapshotWriter, m: RecordMessage): void {
  if (m.type === 'snapshot.records') for (const r of m.records) applyRecord(w, r.kind, r)
  else if (m.type === 'snapshot.members') w.resync(m.members.map((x) => [x.name, formatTcpAddr(x.addr, x.port)] as const))
  else applyRecord(w, KIND_OF[m.type], m)
}

export function createSnapshotterImplementations(env: ActorEnv, platform: SnapshotterPlatform): ProvideOf<SnapshotterMachine> {
  const slots = env.resources
  if (slots === undefined) {
    throw new ClusterError('ERR_SNAPSHOT_NO_RESOURCES', 'snapshotter: its env has no resource slots (env.resources) to hold the open file')
  }
  const listeners = new Set<(n: WriterNotice) => void>()
  const now = platform.now ?? (() => env.clock.now())
  let lastDurable = 0
  /** Record messages refused while there was no writer (the config was invalid). */
  let refusedWithoutWriter = 0
  let configError: unknown
  const noWriter = () =>
    toWireError(new ClusterError('ERR_SNAPSHOT_NOT_OPEN', 'the snapshotter has no open file (its config is invalid)', configError === undefined ? {} : { cause: configError }))
  const refuse = (type: string, count: number) => {
    refusedWithoutWriter += count
    env.log.warn({ type, refused: refusedWithoutWriter }, 'snapshot record refused: the snapshotter has no writer (invalid config)')
  }

  const makeWriter = (input: SnapshotterInput): SnapshotWriter => {
    // Checked before the spread: a string or null input would spread into nonsense or throw a TypeError.
    const { notify, ...init } = configObject('snapshotter', input) as unknown as SnapshotterInput
    const config = createSnapshotterConfig(init)
    return new SnapshotWriter(config, {
      disk: platform.disk,
      now,
      defer: platform.defer,
      setTimer: (fn, ms) => {
        const id = env.clock.setTimeout(fn, ms)
        return () => env.clock.clearTimeout(id)
      },
      onProgress: (p) => {
        platform.observe?.progress?.(p)
        if (notify !== undefined && p.durableThrough > lastDurable) {
          lastDurable = p.durableThrough
          env.send(notify, { type: 'snapshot.durable', ...p })
        }
      },
      onNotice: (n) => {
        platform.observe?.notice?.(n)
        if (n.kind === 'disk-error') env.log.error({ err: toWireError(n.error), op: n.op }, 'snapshot disk operation failed')
        else if (n.kind === 'compaction-failed') env.log.error({ err: toWireError(n.error) }, 'snapshot compaction failed')
        else if (n.kind === 'disk-recovered') env.log.warn({ op: n.op, failedForMs: n.failedForMs }, 'snapshot writes resumed after a disk error')
        else env.log.debug({ ...n }, `snapshot ${n.kind}`)
        for (const l of listeners) l(n)
      },
    })
  }

  return {
    actors: {
      open: fromPromise<Awaited<ReturnType<SnapshotWriter['open']>>, SnapshotterInput>(async ({ input }) => {
        // After a supervised restart the previous incarnation's writer may still hold the file:
        // close it (draining what it had) before replaying.
        // The new writer takes records at once (into its intake); it opens the file after.
        const previous = slots.get<SnapshotWriter>(WRITER_SLOT)
        let writer: SnapshotWriter
        try {
          writer = makeWriter(input)
        } catch (error) {
          configError = error
          throw error
        }
        // Holding the new writer releases the previous one (its shutdown is idempotent: awaited here).
        slots.hold(WRITER_SLOT, writer, (w) => w.shutdown().then(() => undefined))
        if (previous !== undefined) await previous.shutdown()
        const result = await writer.open()
        if (result.counts.corruptLines + result.counts.tornBytes + result.counts.unknownLines > 0) {
          env.log.warn({ path: input.path, counts: result.counts, problems: result.problems }, 'snapshot replay skipped damaged lines')
        }
        return result
      }),
      shutdown: fromPromise(async () => {
        const writer = slots.get<SnapshotWriter>(WRITER_SLOT)
        if (writer === undefined) return { clean: true, remaining: 0, received: 0, durableThrough: 0, elapsedMs: 0 }
        return writer.shutdown()
      }),
      notices: fromCallback<SnapshotterEvent>(({ sendBack }) => {
        const listener = (n: WriterNotice) => {
          if (n.kind === 'compaction-started') sendBack({ type: 'snapshot.internal.compaction-started' })
          else if (n.kind === 'compaction-finished') sendBack({ type: 'snapshot.internal.compaction-finished', ok: true })
          else if (n.kind === 'compaction-failed') sendBack({ type: 'snapshot.internal.compaction-finished', ok: false })
          // A failure of the live file's writes (not a compaction's): shown in the actor's context.
          else if (n.kind === 'disk-error' && n.error instanceof SnapshotDiskError) sendBack({ type: 'snapshot.internal.disk-error', error: toWireError(n.error) })
          else if (n.kind === 'disk-recovered') sendBack({ type: 'snapshot.internal.disk-recovered' })
        }
        listeners.add(listener)
        return () => void listeners.delete(listener)
      }),
    },
    actions: {
      // The `write` effect; on the record path (no params) the message is the event itself.
      record: ({ event }, params: { msg: RecordMessage } | undefined) => {
        const msg = params?.msg ?? (event as RecordMessage)
        const w = slots.get<SnapshotWriter>(WRITER_SLOT)
        if (w !== undefined) applyMessage(w, msg)
        else refuse(msg.type, messageCount(msg))
      },
      refuse: (_, { count }: { count: number }) => {
        const w = slots.get<SnapshotWriter>(WRITER_SLOT)
        // A coalesced batch counts as the messages it merged.
        if (w !== undefined) for (let i = 0; i < count; i++) w.refuse()
        else refusedWithoutWriter += count
      },
      leave: (_, { replyTo }: { replyTo: ReplyTo<unknown> | undefined }) => {
        const w = slots.get<SnapshotWriter>(WRITER_SLOT)
        if (w === undefined) return void env.fail(replyTo, noWriter())
        w.leave().then(
          (p) => env.reply(replyTo, p),
          (err: unknown) => env.fail(replyTo, toWireError(err)),
        )
      },
      sync: (_, { replyTo }: { replyTo: ReplyTo<unknown> | undefined }) => {
        const w = slots.get<SnapshotWriter>(WRITER_SLOT)
        if (w === undefined) return void env.fail(replyTo, noWriter())
        w.sync().then(
          (p) => env.reply(replyTo, p),
          (err: unknown) => env.fail(replyTo, toWireError(err)),
        )
      },
      stats: (_, { replyTo }: { replyTo: ReplyTo<unknown> | undefined }) => {
        // Always answered: with the writer's counters, or (invalid config) zeros and the refusals.
        const w = slots.get<SnapshotWriter>(WRITER_SLOT)
        env.reply(replyTo, w !== undefined ? w.stats() : emptyStats(refusedWithoutWriter))
      },
    },
  }
}

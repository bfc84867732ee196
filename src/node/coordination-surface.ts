/**
 * `node.election(group)` and `node.assignments(group, options)` over the coordination actors
 * (coordination.ts). Asks become promises that reject only with ClusterErrors; the streams are
 * bounded and fed by the actors' emitted events: election changes in a QueueStream (a slow reader
 * loses the newest, counted in `dropped`), assignments in a 'drop-oldest' QueueStream (it loses the oldest
 * waiting ones: the newest assignment is what a worker must see) and end when the reader leaves, its signal fires, or the node
 * stops. A group's worker registration lives while at least one assignments() stream of it is open.
 */
import { ClusterError, fromWireError } from '../errors/index.ts'
import { TIMER_MAX_MS } from '../config/values.ts'
import { createAssignmentConfig } from '../../actors/assignment/config.ts'
import type { AssignmentChangedMsg } from '../../actors/assignment/protocol.ts'
import type { ElectionChangedMsg, ElectionResultReply, ElectionViewReply } from '../../actors/election/protocol.ts'
import type { AssignmentsOptions, BoundedStream, CoordinationSurface, ElectionHandle, LeaderChange, LeaderView, MyAssignment } from './api.ts'
import { QueueStream, ReaderSet } from './bounded-stream.ts'
import type { CoordinationActors } from './coordination.ts'

/** Changes buffered for an election changes() reader, and assignments for an assignments() reader. */
export const CHANGES_BUFFER = 1024
export const ASSIGNMENTS_BUFFER = 64

const isGroup = (g: unknown): g is string => typeof g === 'string' && g.length > 0 && new TextEncoder().encode(g).length <= 255

function checkGroup(operation: string, group: unknown): asserts group is string {
  if (!isGroup(group)) throw new ClusterError('ERR_INVALID_GROUP', `${operation}: group must be a string of 1-255 UTF-8 bytes`, { details: { group: String(group) } })
}

/** What the election ref is asked (its protocol's asks, typed loosely so either election input compiles). */
type ElectionAsk = {
  ask(msg: { type: 'election.campaign' | 'election.resign'; group: string }, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<ElectionResultReply>
  ask(msg: { type: 'election.view'; group: string }, options?: { timeoutMs?: number }): Promise<ElectionViewReply>
  send(msg: { type: 'election.resign' | 'election.view'; group: string }): unknown
  on(type: 'election.changed', f: (e: ElectionChangedMsg) => void): () => void
}

export class Coordination implements CoordinationSurface {
  readonly #readers = new ReaderSet<{ stream: QueueStream<unknown> }>()
  /** Open assignments() streams per group: the registration is withdrawn when the last one ends. */
  readonly #registered = new Map<string, number>()

  constructor(
    private readonly actors: CoordinationActors,
    private readonly running: () => boolean,
  ) {}

  election(group: string): ElectionHandle {
    checkGroup('election', group)
    const el = this.actors.election as unknown as ElectionAsk
    const guard = async <T>(operation: string, f: () => Promise<T>): Promise<T> => {
      if (!this.running()) throw new ClusterError('ERR_NODE_SHUT_DOWN', `${operation}: the node is shut down`)
      try {
        return await f()
      } catch (err) {
        throw err instanceof ClusterError ? err : new ClusterError('ERR_INTERNAL', String(err), { cause: err })
      }
    }
    const result = (r: ElectionResultReply): number => {
      if (!r.ok) throw fromWireError(r.error ?? { code: 'ERR_ELECTION_FAILED', message: `${r.op} failed` })
      return r.term ?? 0
    }
    return {
      group,
      campaign: (options = {}) =>
        guard('campaign', async () => {
          try {
            return result(await el.ask({ type: 'election.campaign', group }, { timeoutMs: TIMER_MAX_MS, ...(options.signal === undefined ? {} : { signal: options.signal }) }))
          } catch (err) {
            if (err instanceof ClusterError && err.code === 'ERR_ACTOR_ASK_ABORTED') {
              // The standing campaign ends with the caller's interest in it.
              el.send({ type: 'election.resign', group })
              throw new ClusterError('ERR_ELECTION_ABORTED', `campaign for ${group} aborted`, { cause: err })
            }
            throw err
          }
        }),
      resign: () => guard('resign', async () => void result(await el.ask({ type: 'election.resign', group }, { timeoutMs: 30_000 }))),
      view: () =>
        guard('view', async (): Promise<LeaderView> => {
          const r = await el.ask({ type: 'election.view', group }, { timeoutMs: 30_000 })
          if (r.status === 'failed' && r.openError !== undefined) throw fromWireError(r.openError)
          return r.view
        }),
      changes: (options = {}): BoundedStream<LeaderChange> => {
        const stream = new QueueStream<LeaderChange>(CHANGES_BUFFER, options.signal)
        const off = el.on('election.changed', (e) => {
          if (e.change.group === group) stream.push(e.change)
        })
        stream.onClose(off)
        this.#readers.add({ stream: stream as QueueStream<unknown> })
        // Follow the group from now on (a view makes the election watch it).
        if (this.running()) el.send({ type: 'election.view', group })
        return stream
      },
    }
  }

  assignments(group: string, options: AssignmentsOptions): BoundedStream<MyAssignment> {
    checkGroup('assignments', group)
    if (typeof options !== 'object' || options === null) throw new ClusterError('ERR_INVALID_CONFIG', 'assignments: options must be an object { partitions, strategy?, weight? }')
    // Checked here, coded and naming the field, before a stream exists (the calculator's own rules).
    const config = createAssignmentConfig({ partitions: options.partitions, ...(options.strategy === undefined ? {} : { strategy: options.strategy }) })
    const weight = options.weight ?? 1
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new ClusterError('ERR_INVALID_CONFIG', `assignments.weight must be a finite number >= 0 (0: draining), got ${String(weight)}`, { details: { field: 'assignments.weight' } })
    }
    // The newest assignments matter: a slow reader loses the oldest waiting ones (counted).
    const stream = new QueueStream<MyAssignment>(ASSIGNMENTS_BUFFER, options.signal, 'drop-oldest')
    let last: { version: number; term: number } | undefined
    const offer = (a: MyAssignment) => {
      // The register's catch-up read may race an emitted one: each assignment once, in order.
      if (last !== undefined && (a.term < last.term || (a.term === last.term && a.version <= last.version))) return
      last = { version: a.version, term: a.term }
      stream.push(a)
    }
    if (!this.running() || stream.ended) {
      stream.end()
      return stream
    }
    const as = this.actors.assignment
    const off = as.on('assignment.changed', (e) => {
      const a = (e as AssignmentChangedMsg).assignment
      if (a.group === group) offer(a)
    })
    this.#registered.set(group, (this.#registered.get(group) ?? 0) + 1)
    stream.onClose(() => {
      off()
      const n = (this.#registered.get(group) ?? 1) - 1
      if (n > 0) this.#registered.set(group, n)
      else {
        this.#registered.delete(group)
        if (this.running()) as.send({ type: 'assignment.unregister', group })
      }
    })
    this.#readers.add({ stream: stream as QueueStream<unknown> })
    void (async () => {
      try {
        const r = await as.ask({ type: 'assignment.register', group, partitions: config.partitions, strategy: config.strategy, weight }, { timeoutMs: 30_000 })
        if (!r.ok) return stream.end()
        // The assignment in force already (a second reader of the group, or a re-registration).
        const v = await as.ask({ type: 'assignment.view', group }, { timeoutMs: 30_000 })
        if (v.mine !== null) offer(v.mine)
      } catch {
        stream.end() // the node stopped meanwhile
      }
    })()
    return stream
  }

  /** Ends every stream (the node stops). */
  close(): void {
    this.#readers.close()
  }
}

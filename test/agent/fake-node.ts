/**
 * A small GossamerNode for the agent's tests: events and log lines are pushed by the test, calls
 * are recorded, and join/leave outcomes are chosen per test. Streams end at shutdown, as the real
 * node's do.
 */
import type {
  BoundedStream,
  GossamerNode,
  KeyResponse,
  LogLine,
  Member,
  NodeEvent,
  NodeOptions,
  NodeStats,
  NodeStopped,
  QueryStream,
} from '../../src/node/api.ts'
import { ClusterError } from '../../src/errors/index.ts'
import { QueueStream } from '../../src/node/bounded-stream.ts'

export function member(name: string, ip: [number, number, number, number], tags: Record<string, string> = {}, status: Member['status'] = 'alive'): Member {
  return {
    name,
    addr: Uint8Array.from(ip),
    port: 7946,
    tags,
    status,
    protocolMin: 1,
    protocolMax: 5,
    protocolCur: 2,
    delegateMin: 2,
    delegateMax: 5,
    delegateCur: 4,
  }
}

const keyResponse = (): KeyResponse => ({ messages: {}, numNodes: 1, numErr: 0, numResp: 1 })

export class FakeNode implements GossamerNode {
  readonly name: string
  readonly address = '127.0.0.1:7946'
  readonly inspectUrl: string | undefined = undefined
  readonly options: NodeOptions
  tags: Record<string, string>
  memberList: Member[] = []
  readonly calls: string[] = []
  readonly responses: { key: string; payload: Uint8Array | null }[] = []
  /** Throws from respond() with this error when set. */
  respondError: ClusterError | undefined
  /** join(): resolves with this count, or rejects with the error. */
  joinResult: number | ClusterError = 1
  stats_: NodeStats | undefined
  readonly #events = new Set<QueueStream<NodeEvent>>()
  readonly #logs = new Set<QueueStream<LogLine>>()
  #down = false
  #markStopped: (s: NodeStopped) => void = () => {}
  readonly stopped = new Promise<NodeStopped>((resolve) => (this.#markStopped = resolve))

  constructor(options: NodeOptions) {
    this.options = options
    this.name = options.name ?? 'fake'
    this.tags = { ...(options.tags ?? {}) }
  }

  get isShutdown(): boolean {
    return this.#down
  }

  /** Delivers an event to every open events() stream. */
  emit(e: NodeEvent): void {
    for (const s of this.#events) s.push(e)
  }

  log(line: Omit<LogLine, 'time'>): void {
    for (const s of this.#logs) s.push({ ...line, time: Date.UTC(2026, 11, 6, 2, 5, 37) })
  }

  get eventReaders(): number {
    return this.#events.size
  }

  async members(): Promise<Member[]> {
    return this.memberList
  }
  events(options: { signal?: AbortSignal; buffer?: number } = {}): BoundedStream<NodeEvent> {
    const s = new QueueStream<NodeEvent>(options.buffer ?? 512, options.signal)
    s.onClose(() => this.#events.delete(s))
    if (this.#down) s.end()
    else this.#events.add(s)
    return s
  }
  async userEvent(name: string): Promise<void> {
    this.calls.push(`userEvent ${name}`)
  }
  async query(): Promise<QueryStream> {
    throw new ClusterError('ERR_FAKE', 'query is not faked')
  }
  async respond(key: string, payload: Uint8Array | null): Promise<void> {
    if (this.respondError !== undefined) throw this.respondError
    this.responses.push({ key, payload })
  }
  async setTags(set: Readonly<Record<string, string>>, remove: readonly string[] = []): Promise<void> {
    this.calls.push(`setTags ${JSON.stringify(set)} -${remove.join(',')}`)
    for (const k of remove) delete this.tags[k]
    Object.assign(this.tags, set)
  }
  async join(addresses: readonly string[], options: { replay?: boolean } = {}): Promise<number> {
    this.calls.push(`join ${addresses.join(',')} replay=${options.replay === true}`)
    if (typeof this.joinResult !== 'number') throw this.joinResult
    return this.joinResult
  }
  /**
   * leave(): 'ok' resolves, 'hang' never settles, an error rejects; 'until-shutdown' settles only
   * when the node shuts down, rejecting as the real node's does when its actors stop under it.
   */
  leaveResult: 'ok' | 'hang' | 'until-shutdown' | ClusterError = 'ok'
  #leaveCut: ((err: Error) => void) | undefined
  /** As the real node: a leave stops the node (its streams end) before leave() resolves. */
  stopsAfterLeave = false
  async leave(): Promise<void> {
    this.calls.push('leave')
    if (this.leaveResult === 'hang') return new Promise(() => {})
    if (this.leaveResult === 'until-shutdown') return new Promise((_, reject) => (this.#leaveCut = reject))
    if (this.leaveResult !== 'ok') throw this.leaveResult
    if (this.stopsAfterLeave) await this.stop('left')
  }
  async forceLeave(node: string): Promise<void> {
    this.calls.push(`forceLeave ${node}`)
  }
  async shutdown(): Promise<void> {
    this.#leaveCut?.(new ClusterError('ERR_ACTOR_STOPPED', 'member-manager stopped before the leave finished'))
    await this.stop('shutdown')
  }
  /** Stops as the real node does for `reason`: streams end, then `stopped` resolves. */
  async stop(reason: NodeStopped['reason'], error?: NodeStopped['error']): Promise<void> {
    if (this.#down) return
    this.#down = true
    this.calls.push(reason === 'shutdown' ? 'shutdown' : `stopped ${reason}`)
    for (const s of [...this.#events]) s.end()
    for (const s of [...this.#logs]) s.end()
    this.#markStopped(error === undefined ? { reason } : { reason, error })
  }
  async stats(): Promise<NodeStats> {
    if (this.stats_ !== undefined) return this.stats_
    throw new ClusterError('ERR_FAKE', 'no stats set')
  }
  election(): never {
    throw new ClusterError('ERR_COORDINATION_OFF', 'election: this node runs without coordination')
  }
  assignments(): never {
    throw new ClusterError('ERR_COORDINATION_OFF', 'assignments: this node runs without coordination')
  }
  async coordinate(): Promise<undefined> {
    return undefined
  }
  readonly keys = { install: async () => keyResponse(), use: async () => keyResponse(), remove: async () => keyResponse(), list: async () => keyResponse() }
  logs(options: { signal?: AbortSignal } = {}): BoundedStream<LogLine> {
    const s = new QueueStream<LogLine>(512, options.signal)
    s.onClose(() => this.#logs.delete(s))
    if (this.#down) s.end()
    else this.#logs.add(s)
    return s
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown()
  }
}

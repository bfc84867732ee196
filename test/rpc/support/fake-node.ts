/**
 * An in-memory GossamerNode for the RPC server's tests: members, tags, user events, queries,
 * keys, coordinates and logs kept in plain objects, with the stream semantics of the API (bounded
 * buffers that count drops, end on abort or shutdown). Queries reach the node's own `events()`
 * readers (as Serf delivers a node's own queries) and are answered through `respond`; the fake
 * acks its own queries when asked to. Every call is recorded in `calls` for assertions.
 */
import type { Coordinate } from '../../../src/coordinate/index.ts'
import { ClusterError } from '../../../src/errors/index.ts'
import type {
  ElectionHandle,
  BoundedStream,
  NodeStopped,
  EventsOptions,
  ForceLeaveOptions,
  GossamerNode,
  JoinOptions,
  KeyResponse,
  LogLine,
  Member,
  MemberFilter,
  NodeEvent,
  NodeStats,
  QueryOptions,
  QueryResult,
  QueryStream,
  UserEventOptions,
} from '../../../src/node/api.ts'

/** A bounded async channel: push drops (and counts) past `limit`; end() finishes the readers. */
export class Channel<T> implements BoundedStream<T> {
  private readonly items: T[] = []
  private waiter: ((r: IteratorResult<T>) => void) | null = null
  private done = false
  dropped = 0
  constructor(
    private readonly limit: number,
    signal?: AbortSignal,
    private readonly onEnd?: () => void,
  ) {
    signal?.addEventListener('abort', () => this.end(), { once: true })
    if (signal?.aborted === true) this.end()
  }
  get ended(): boolean {
    return this.done
  }
  push(item: T): void {
    if (this.done) return
    if (this.waiter !== null) {
      const w = this.waiter
      this.waiter = null
      w({ value: item, done: false })
      return
    }
    if (this.items.length >= this.limit) {
      this.dropped++
      return
    }
    this.items.push(item)
  }
  end(): void {
    if (this.done) return
    this.done = true
    this.onEnd?.()
    const w = this.waiter
    this.waiter = null
    w?.({ value: undefined, done: true })
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false })
        if (this.done) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve) => {
          this.waiter = resolve
        })
      },
      return: () => {
        this.end()
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}

export function fakeMember(name: string, port: number, tags: Record<string, string> = {}, status: Member['status'] = 'alive'): Member {
  return { name, addr: Uint8Array.of(127, 0, 0, 1), port, tags, status, protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 5 }
}

interface OpenQuery {
  stream: Channel<QueryResult>
  seen: Set<string>
}

interface ReceivedQuery {
  query: string
  deadline: number
  responded: boolean
}

export class FakeNode implements GossamerNode {
  readonly name: string
  readonly address: string
  readonly inspectUrl: string | undefined = undefined
  memberList: Member[]
  readonly calls: Array<{ method: string; args: unknown[] }> = []
  /** Addresses that `join` reaches; anything else fails with Serf's multierror-like text. */
  reachable = new Set<string>()
  keyring: string[] = []
  coordinates = new Map<string, Coordinate>()
  readonly logRing: LogLine[] = []
  private readonly eventReaders = new Set<Channel<NodeEvent>>()
  private readonly logReaders = new Set<{ ch: Channel<LogLine>; level: LogLine['level'] }>()
  private readonly openQueries = new Map<string, OpenQuery>()
  private readonly received = new Map<string, ReceivedQuery>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private ltime = 0n
  private queryCounter = 0
  private isStopped = false
  readonly stopped: Promise<NodeStopped>
  private resolveStopped!: (why: NodeStopped) => void
  /** When true, the node acks its own queries (as a Serf node that passes the filters). */
  selfAck = true

  constructor(name: string, port: number, tags: Record<string, string> = {}) {
    this.name = name
    this.address = `127.0.0.1:${port}`
    this.memberList = [fakeMember(name, port, tags)]
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve))
  }

  get openEventReaders(): number {
    return this.eventReaders.size
  }
  get openLogReaders(): number {
    return this.logReaders.size
  }
  get openQueryStreams(): number {
    return this.openQueries.size
  }

  /** Delivers an event to every events() reader (as the node would on gossip). */
  emit(event: NodeEvent): void {
    for (const r of this.eventReaders) r.push(event)
  }

  /** Adds a log line to the ring (512 kept) and to live readers. */
  log(level: LogLine['level'], subsystem: string, message: string, time = Date.now()): void {
    const line = { level, time, subsystem, message }
    this.logRing.push(line)
    if (this.logRing.length > 512) this.logRing.shift()
    for (const r of this.logReaders) if (atLeast(level, r.level)) r.ch.push(line)
  }

  private self(): Member {
    return this.memberList.find((m) => m.name === this.name)!
  }

  async members(filter?: MemberFilter): Promise<Member[]> {
    this.calls.push({ method: 'members', args: [filter] })
    return this.memberList.map((m) => ({ ...m, tags: { ...m.tags } }))
  }

  events(options: EventsOptions = {}): BoundedStream<NodeEvent> {
    this.calls.push({ method: 'events', args: [options.filter] })
    const ch: Channel<NodeEvent> = new Channel(options.buffer ?? 512, options.signal, () => this.eventReaders.delete(ch))
    if (!this.isStopped && !ch.ended) this.eventReaders.add(ch)
    else ch.end()
    return ch
  }

  async userEvent(name: string, payload: Uint8Array | null = null, options: UserEventOptions = {}): Promise<void> {
    this.calls.push({ method: 'userEvent', args: [name, payload, options] })
    this.ltime++
    this.emit({ type: 'user', ltime: this.ltime, name, payload, coalesce: options.coalesce ?? false })
  }

  async query(name: string, payload: Uint8Array | null = null, options: QueryOptions = {}): Promise<QueryStream> {
    this.calls.push({ method: 'query', args: [name, payload, options] })
    if (name.length + (payload?.length ?? 0) > 1000) throw new ClusterError('ERR_QUERY_TOO_LARGE', 'query exceeds limit of 1024 bytes')
    const timeoutMs = options.timeoutMs ?? 500
    const deadline = Date.now() + timeoutMs
    const id = ++this.queryCounter
    const key = `q${id}`
    const ch: Channel<QueryResult> = new Channel(512, options.signal, () => this.openQueries.delete(key))
    this.openQueries.set(key, { stream: ch, seen: new Set() })
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      ch.end()
    }, timeoutMs)
    this.timers.add(timer)
    const passes = (options.filterNodes === undefined || options.filterNodes.length === 0 || options.filterNodes.includes(this.name)) &&
      Object.entries(options.filterTags ?? {}).every(([k, re]) => new RegExp(re).test(this.self().tags[k] ?? ''))
    if (passes) {
      if (options.requestAck === true && this.selfAck) ch.push({ type: 'ack', from: this.name })
      this.ltime++
      this.received.set(key, { query: key, deadline, responded: false })
      this.emit({ type: 'query', ltime: this.ltime, id, name, payload, sourceNode: this.name, deadline, key })
    }
    const stream = Object.assign(ch, {
      deadline,
      abort: () => {
        clearTimeout(timer)
        this.timers.delete(timer)
        ch.end()
      },
    })
    return stream as unknown as QueryStream
  }

  async respond(key: string, payload: Uint8Array | null): Promise<void> {
    this.calls.push({ method: 'respond', args: [key, payload] })
    const q = this.received.get(key)
    if (q === undefined) throw new ClusterError('ERR_QUERY_UNKNOWN', `no query ${key}`)
    if (q.responded) throw new ClusterError('ERR_QUERY_ALREADY_RESPONDED', 'response already sent')
    if (Date.now() > q.deadline) throw new ClusterError('ERR_QUERY_PAST_DEADLINE', 'response is past the deadline')
    q.responded = true
    const open = this.openQueries.get(key)
    if (open !== undefined && !open.seen.has(this.name)) {
      open.seen.add(this.name)
      open.stream.push({ type: 'response', from: this.name, payload })
    }
  }

  async setTags(set: Readonly<Record<string, string>>, remove: readonly string[] = []): Promise<void> {
    this.calls.push({ method: 'setTags', args: [set, remove] })
    const me = this.self()
    const tags: Record<string, string> = { ...me.tags }
    for (const k of remove) delete tags[k]
    Object.assign(tags, set)
    if (JSON.stringify(tags).length > 512) throw new ClusterError('ERR_TAGS_TOO_LARGE', 'Encoded length of tags exceeds limit of 512 bytes')
    const updated = { ...me, tags }
    this.memberList = this.memberList.map((m) => (m.name === this.name ? updated : m))
    this.emit({ type: 'member-update', members: [updated] })
  }

  async join(addresses: readonly string[], options: JoinOptions = {}): Promise<number> {
    this.calls.push({ method: 'join', args: [addresses, options] })
    const ok = addresses.filter((a) => this.reachable.has(a))
    if (ok.length === 0) {
      const reasons = addresses.map((a) => `\t* Failed to join ${a}: dial tcp ${a}: connect: connection refused`).join('\n')
      throw new ClusterError('ERR_JOIN_FAILED', `${addresses.length} error${addresses.length === 1 ? '' : 's'} occurred:\n${reasons}\n\n`)
    }
    return ok.length
  }

  async leave(): Promise<void> {
    this.calls.push({ method: 'leave', args: [] })
    this.memberList = this.memberList.map((m) => (m.name === this.name ? { ...m, status: 'left' as const } : m))
    await this.shutdown()
  }

  async forceLeave(node: string, options: ForceLeaveOptions = {}): Promise<void> {
    this.calls.push({ method: 'forceLeave', args: [node, options] })
    const m = this.memberList.find((x) => x.name === node)
    if (m === undefined || m.status !== 'failed') return
    this.memberList = options.prune === true ? this.memberList.filter((x) => x.name !== node) : this.memberList.map((x) => (x.name === node ? { ...x, status: 'left' as const } : x))
  }

  async shutdown(): Promise<void> {
    if (this.isStopped) return
    this.isStopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const r of [...this.eventReaders]) r.end()
    for (const r of [...this.logReaders]) r.ch.end()
    for (const q of [...this.openQueries.values()]) q.stream.end()
    this.resolveStopped({ reason: 'shutdown' })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown()
  }

  async stats(): Promise<NodeStats> {
    const count = (s: Member['status']): number => this.memberList.filter((m) => m.status === s).length
    return {
      name: this.name,
      serf: {
        members: this.memberList.length,
        failed: count('failed'),
        left: count('left'),
        healthScore: 0,
        memberTime: 3n,
        eventTime: this.ltime + 1n,
        queryTime: 1n,
        intentQueue: 0,
        eventQueue: 0,
        queryQueue: 0,
        encrypted: this.keyring.length > 0,
        coordinateResets: 0,
      },
      tags: { ...this.self().tags },
      actors: {},
    }
  }

  election(_group: string): ElectionHandle {
    throw new ClusterError('ERR_COORDINATION_OFF', 'election: this node runs without coordination')
  }
  assignments(): never {
    throw new ClusterError('ERR_COORDINATION_OFF', 'assignments: this node runs without coordination')
  }
  async coordinate(node?: string): Promise<Coordinate | undefined> {
    return this.coordinates.get(node ?? this.name)
  }

  readonly keys = {
    install: async (key: string): Promise<KeyResponse> => this.keyOp('install', key),
    use: async (key: string): Promise<KeyResponse> => this.keyOp('use', key),
    remove: async (key: string): Promise<KeyResponse> => this.keyOp('remove', key),
    list: async (): Promise<KeyResponse> => {
      this.calls.push({ method: 'keys.list', args: [] })
      if (this.keyring.length === 0) return { messages: { [this.name]: 'Keyring is empty (encryption not enabled)' }, keys: {}, numNodes: 1, numErr: 1, numResp: 1 }
      return { messages: {}, keys: Object.fromEntries(this.keyring.map((k) => [k, 1])), numNodes: 1, numErr: 0, numResp: 1 }
    },
  }

  private keyOp(op: 'install' | 'use' | 'remove', key: string): KeyResponse {
    this.calls.push({ method: `keys.${op}`, args: [key] })
    const fail = (msg: string): KeyResponse => ({ messages: { [this.name]: msg }, numNodes: 1, numErr: 1, numResp: 1 })
    if (this.keyring.length === 0) return fail('No keyring to modify (encryption not enabled)')
    if (op === 'install' && !this.keyring.includes(key)) this.keyring.push(key)
    if (op === 'use') {
      if (!this.keyring.includes(key)) return fail('Requested key is not in the keyring')
      this.keyring = [key, ...this.keyring.filter((k) => k !== key)]
    }
    if (op === 'remove') {
      if (this.keyring[0] === key) return fail('Removing the primary key is not allowed')
      this.keyring = this.keyring.filter((k) => k !== key)
    }
    return { messages: {}, numNodes: 1, numErr: 0, numResp: 1 }
  }

  logs(options: { level?: LogLine['level']; signal?: AbortSignal } = {}): BoundedStream<LogLine> {
    const level = options.level ?? 'info'
    const entry = { ch: undefined as unknown as Channel<LogLine>, level }
    entry.ch = new Channel<LogLine>(512, options.signal, () => this.logReaders.delete(entry))
    for (const line of this.logRing) if (atLeast(line.level, level)) entry.ch.push(line)
    if (!this.isStopped && !entry.ch.ended) this.logReaders.add(entry)
    else entry.ch.end()
    return entry.ch
  }
}

function atLeast(level: LogLine['level'], min: LogLine['level']): boolean {
  const order = ['trace', 'debug', 'info', 'warn', 'error']
  return order.indexOf(level) >= order.indexOf(min)
}

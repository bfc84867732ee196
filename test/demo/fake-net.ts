/**
 * A stand-in for createNode for the demo's script tests: nodes that share one in-memory truth
 * (who is alive, failed or left; who leads the election group) and tell every running node's
 * event stream about each change, as real nodes would after gossip. A build with or without the
 * live page and the election is a switch (an absent option is refused by name, as config.ts
 * refuses an unknown field), and a node can be made blind to others' failures to drive a step
 * past its deadline.
 */
import type { BoundedStream, GossamerNode, LeaderChange, Member, NodeEvent, NodeOptions } from '../../src/node/api.ts'
import { InvalidConfigError } from '../../src/errors/index.ts'

class Stream<T> implements BoundedStream<T> {
  readonly dropped = 0
  #items: T[] = []
  #wake: (() => void) | undefined
  #ended = false
  push(item: T): void {
    if (this.#ended) return
    this.#items.push(item)
    this.#wake?.()
  }
  end(): void {
    this.#ended = true
    this.#wake?.()
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift()
      if (item !== undefined) yield item
      else if (this.#ended) return
      else await new Promise<void>((r) => (this.#wake = r))
    }
  }
}

const member = (name: string, status: string): Member =>
  ({ name, status, addr: Uint8Array.of(127, 0, 0, 1), port: 0, tags: {}, protocolMin: 2, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 }) as Member

export class FakeNet {
  readonly status = new Map<string, string>()
  readonly running = new Map<string, { events: Stream<NodeEvent>; changes: Stream<LeaderChange>[] }>()
  readonly started: NodeOptions[] = []
  leader: { name: string | null; term: number } = { name: null, term: 0 }
  readonly candidates = new Set<string>()
  /** Nodes that never hear of another's failure. */
  readonly blind = new Set<string>()
  /** A graceful leave that never completes (only a shutdown stops the node). */
  stuckLeave = false
  shutdowns = 0
  #port = 40000

  constructor(readonly has: { inspect: boolean; coordination: boolean }) {}

  createNode = async (o: NodeOptions): Promise<GossamerNode> => {
    for (const f of ['inspect', 'coordination'] as const) {
      if (o[f] !== undefined && !this.has[f]) throw new InvalidConfigError(`options.${f}`, 'is not a known field (known: name, bind)')
    }
    this.started.push(o)
    const name = o.name!
    const address = o.bind === '127.0.0.1:0' ? `127.0.0.1:${this.#port++}` : o.bind!
    const rejoined = this.status.has(name)
    const remembered = [...this.status.keys()].filter((n) => n !== name).length
    const self = { events: new Stream<NodeEvent>(), changes: [] as Stream<LeaderChange>[] }
    this.running.set(name, self)
    this.#set(name, 'alive', 'member-join')
    // A new node learns the others' states at its join.
    for (const [n, s] of this.status) if (n !== name) self.events.push({ type: 'member-join', members: [member(n, s)] })
    const net = this
    let stopped = false
    const stop = async (left: boolean): Promise<void> => {
      if (stopped) return
      stopped = true
      this.shutdowns++
      this.running.delete(name)
      self.events.end()
      for (const c of self.changes) c.end()
      if (!left) {
        this.candidates.delete(name)
        this.#set(name, 'failed', 'member-failed')
        if (this.leader.name === name) this.#elect()
      }
    }
    const node = {
      name,
      address,
      ...(o.inspect === undefined ? {} : { inspectUrl: `http://127.0.0.1:${this.#port++}/` }),
      events: () => self.events,
      members: async () => [...this.status].map(([n, s]) => member(n, s)),
      userEvent: async (event: string, payload?: Uint8Array | null) => {
        for (const r of this.running.values()) r.events.push({ type: 'user', ltime: 1n, name: event, payload: payload ?? null, coalesce: false })
      },
      stats: async () => ({ actors: { swim: {}, 'member-manager': {} }, ...(rejoined ? { node: { snapshotRejoin: { previousNodes: remembered, attempts: 1, joined: true } } } : {}) }),
      leave: async () => {
        if (this.stuckLeave) return new Promise<void>(() => undefined)
        this.candidates.delete(name)
        this.#set(name, 'left', 'member-leave')
        await stop(true)
      },
      shutdown: () => stop(false),
      ...(o.coordination === undefined
        ? {}
        : {
            election: (group: string) => ({
              group,
              view: async () => ({ group, leader: net.leader.name, term: net.leader.term, isSelf: net.leader.name === name }),
              changes: (opts?: { signal?: AbortSignal }) => {
                const s = new Stream<LeaderChange>()
                self.changes.push(s)
                opts?.signal?.addEventListener('abort', () => s.end(), { once: true })
                return s
              },
              campaign: async () => {
                net.candidates.add(name)
                if (net.leader.name === null) net.#elect()
                return net.leader.term
              },
              resign: async () => undefined,
            }),
          }),
    }
    return node as unknown as GossamerNode
  }

  #set(name: string, status: string, type: 'member-join' | 'member-leave' | 'member-failed'): void {
    this.status.set(name, status)
    for (const [n, r] of this.running) {
      if (n === name || (type === 'member-failed' && this.blind.has(n))) continue
      r.events.push({ type, members: [member(name, status)] })
    }
  }

  #elect(): void {
    const next = [...this.candidates].sort()[0] ?? null
    this.leader = { name: next, term: this.leader.term + 1 }
    for (const r of this.running.values()) {
      for (const c of r.changes) c.push({ group: 'demo', leader: next, term: this.leader.term as LeaderChange['term'], isSelf: false, reason: 'elected', at: 0 })
    }
  }
}

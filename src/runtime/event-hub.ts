/**
 * EventHub: one actor's subscriptions to its emitted events, on the system thread (`ref.on`,
 * `ref.events`). It keeps the handlers and streams per type, tells the placement which types to
 * forward whenever that set changes (so an actor nobody listens to forwards nothing), fans each
 * forwarded event out to the handlers and streams of its type and of `'*'`, and counts what the
 * users should see: deliveries, stream drops, events that could not be cloned, handlers that threw.
 * It lives as long as the actor's entry, so subscriptions survive restarts of the machine and of
 * its thread; it closes (streams end) when the actor stops or escalates.
 */
import type { Logger } from 'pino'
import { InvalidConfigError, toWireError } from '../errors/cluster-error.ts'
import { BoundedEventStream } from './event-stream.ts'
import type { EventStreamConfig } from './event-stream-options.ts'
import type { EventStats, EventStream, Unsubscribe } from './types.ts'

type Event = { type: string }
type Subscriber = { handler: (e: Event) => void } | { stream: BoundedEventStream<Event> }

export class EventHub {
  readonly stats: EventStats = { delivered: 0, dropped: 0, uncloneable: 0, handlerErrors: 0 }
  readonly #byType = new Map<string, Set<Subscriber>>()
  #closed = false

  constructor(
    readonly actor: string,
    readonly log: Logger,
    /** The set of subscribed types changed (`'*'`: all): the placement starts or stops forwarding. */
    readonly onTypesChanged: (types: string[]) => void,
  ) {}

  /** The types somebody subscribed to (`'*'` when some subscriber takes every type). */
  get types(): string[] {
    return [...this.#byType.keys()]
  }

  get closed(): boolean {
    return this.#closed
  }

  on(type: string, handler: (e: Event) => void): Unsubscribe {
    if (typeof type !== 'string' || type.length === 0) throw new InvalidConfigError('on.type', "must be a non-empty event type (or '*')", { got: type })
    if (typeof handler !== 'function') throw new InvalidConfigError('on.handler', 'must be a function', { got: handler })
    if (this.#closed) return () => {}
    const sub: Subscriber = { handler }
    this.#add([type], sub)
    return () => this.#remove([type], sub)
  }

  stream(config: EventStreamConfig): EventStream<Event> {
    // One entry per type, and the wildcard alone when given: no event reaches a stream twice.
    const types = config.types.includes('*') ? ['*'] : [...new Set(config.types)]
    let sub: Subscriber | undefined
    const stream = new BoundedEventStream<Event>({
      bufferSize: config.bufferSize,
      signal: config.signal,
      onDrop: () => void this.stats.dropped++,
      onEnd: () => {
        if (sub !== undefined) this.#remove(types, sub)
      },
    })
    if (this.#closed) stream.finish()
    if (stream.ended) return stream
    sub = { stream }
    this.#add(types, sub)
    return stream
  }

  /** An event the actor emitted (a copy from a worker, the object itself inline). */
  deliver(event: Event): void {
    if (this.#closed) return
    this.stats.delivered++
    const typed = this.#byType.get(event.type)
    const all = this.#byType.get('*')
    // Copies: a handler may unsubscribe (or subscribe) while the event is being fanned out.
    if (typed !== undefined) for (const s of [...typed]) this.#call(s, event)
    if (all !== undefined) for (const s of [...all]) this.#call(s, event)
  }

  /** An emitted event that could not be cloned for its trip from the actor's thread. */
  uncloneable(): void {
    this.stats.uncloneable++
  }

  /** The actor stopped or escalated: streams end after what they buffered; handlers are dropped. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    const subs = new Set<Subscriber>()
    for (const set of this.#byType.values()) for (const s of set) subs.add(s)
    this.#byType.clear()
    for (const s of subs) if ('stream' in s) s.stream.finish()
  }

  #call(s: Subscriber, event: Event): void {
    if ('stream' in s) {
      s.stream.push(event)
      return
    }
    try {
      s.handler(event)
    } catch (err) {
      this.stats.handlerErrors++
      this.log.error({ err: toWireError(err), actor: this.actor, eventType: event.type }, 'event handler threw')
    }
  }

  #add(types: readonly string[], sub: Subscriber): void {
    let changed = false
    for (const t of types) {
      let set = this.#byType.get(t)
      if (set === undefined) {
        set = new Set()
        this.#byType.set(t, set)
        changed = true
      }
      set.add(sub)
    }
    if (changed) this.onTypesChanged(this.types)
  }

  #remove(types: readonly string[], sub: Subscriber): void {
    let changed = false
    for (const t of types) {
      const set = this.#byType.get(t)
      if (set === undefined || !set.delete(sub)) continue
      if (set.size === 0) {
        this.#byType.delete(t)
        changed = true
      }
    }
    if (changed && !this.#closed) this.onTypesChanged(this.types)
  }
}

/**
 * The node's event fan-out behind `events()`: sources publish NodeEvents (today member-manager's
 * `member.event` emits through `memberEventSource`; serf-events' user events and queries arrive
 * through a second source of the same shape), and each reader gets its own bounded QueueStream
 * with its own filter. A full reader loses the event (counted in its `dropped` and in the hub's
 * `dropped` total); the others still get it. Closing the hub ends every reader.
 */
import type { BoundedStream, EventsOptions, NodeEvent } from './api.ts'
import { QueueStream, ReaderSet } from './bounded-stream.ts'
import { compileEventFilter, type EventPredicate } from './event-filter.ts'
import { InvalidConfigError } from '../errors/index.ts'
import type { MemberManagerEmitted } from '../../actors/member-manager/protocol.ts'
import type { Unsubscribe } from '../runtime/types.ts'

/** Events buffered per reader when the caller does not say (Serf's IPC stream: 512). */
export const DEFAULT_EVENT_BUFFER = 512
/** The largest buffer a reader may ask for: a bound on what one slow reader can hold. */
export const MAX_EVENT_BUFFER = 65_536

/** Something that feeds the hub until its unsubscribe is called. */
export type EventSource = (publish: (event: NodeEvent) => void) => Unsubscribe

export class EventHub {
  #readers = new ReaderSet<{ accept: EventPredicate; stream: QueueStream<NodeEvent> }>()
  #sources: Unsubscribe[] = []
  #closed = false
  published = 0
  /** Events lost to full readers, summed over every reader so far. */
  dropped = 0

  /** Attaches a source; it is detached when the hub closes. */
  attach(source: EventSource): void {
    if (this.#closed) return
    this.#sources.push(source((e) => this.publish(e)))
  }

  publish(event: NodeEvent): void {
    if (this.#closed) return
    this.published++
    for (const r of this.#readers) {
      if (!r.accept(event)) continue
      if (!r.stream.push(event)) this.dropped++
    }
  }

  /** A reader; throws InvalidEventFilterError / InvalidConfigError (buffer) before anything is opened. */
  open(options: EventsOptions = {}): BoundedStream<NodeEvent> {
    const accept = compileEventFilter(options.filter)
    const buffer = options.buffer ?? DEFAULT_EVENT_BUFFER
    if (!Number.isInteger(buffer) || buffer < 1 || buffer > MAX_EVENT_BUFFER) throw new InvalidConfigError('events.buffer', `must be an integer in [1, ${MAX_EVENT_BUFFER}]`, { got: buffer })
    const stream = new QueueStream<NodeEvent>(buffer, options.signal)
    this.#readers.add({ accept, stream })
    return stream
  }

  get readers(): number {
    return this.#readers.size
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const u of this.#sources) u()
    this.#sources = []
    this.#readers.close()
  }
}

/** The part of member-manager's ref the source needs (its emitted `member.event`). */
export interface MemberEventEmitter {
  on(type: 'member.event', handler: (event: Extract<MemberManagerEmitted, { type: 'member.event' }>) => void): Unsubscribe
}

/** member-manager's `member.event` emits as NodeEvents (one per emit; Serf's member batches). */
export function memberEventSource(ref: MemberEventEmitter): EventSource {
  return (publish) => ref.on('member.event', (e) => publish({ type: e.event, members: e.members }))
}

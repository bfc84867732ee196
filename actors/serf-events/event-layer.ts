/**
 * EventLayer: the serf-events core (core.ts) behind ports, for code that drives Serf's event layer
 * directly rather than through the actor: the synchronous simulator (SimCluster, 1,000+ nodes),
 * as MemberLayer (member-manager/member-layer.ts) is for member-manager's core. It keeps one
 * state, feeds each call to `step` with the port's time and seeded randomness, and runs the
 * effects on the ports in order: gossip broadcasts, UDP user messages, emitted events, timers.
 * After a step that changed the push/pull slice it hands the slice on (`slice`), as the actor
 * tells member-manager.
 */
import type { RandomSource } from '../../src/types/random.ts'
import type { SerfEventsConfig } from './config.ts'
import { eventStateChanged, eventStateOf, initialCoreState, step } from './core.ts'
import type { CoreInput, CoreResult, SerfEventsCoreState } from './core.ts'
import type { EmitEffect } from './effects.ts'
import type { EventSlot, SerfEventsMember } from './protocol.ts'
import type { QueryRequest } from './query-originator.ts'

/** What the event layer emits (user events, queries, query results and closes, member events). */
export type EventLayerEvent = EmitEffect['event']

export interface EventLayerPorts {
  now(): number
  random: RandomSource
  broadcast(queue: 'serf-event' | 'serf-query', message: Uint8Array): void
  /** A UDP user message: `bytes` = `[serfType][msgpack]`. */
  sendUser(addr: Uint8Array, port: number, bytes: Uint8Array): void
  emit(event: EmitEffect['event']): void
  setTimer(id: string, delayMs: number): void
  cancelTimer(id: string): void
  slice(slice: { eventLTime: bigint; events: Array<EventSlot | null>; queryLTime: bigint }): void
}

export class EventLayer {
  state: SerfEventsCoreState

  constructor(
    config: SerfEventsConfig,
    nodeName: string,
    private readonly ports: EventLayerPorts,
  ) {
    this.state = initialCoreState(config, nodeName)
  }

  private run(input: CoreInput): CoreResult | undefined {
    const before = this.state
    const r = step(before, input)
    this.state = r.state
    for (const e of r.effects) {
      switch (e.type) {
        case 'broadcast':
          this.ports.broadcast(e.queue, e.message)
          break
        case 'send':
          this.ports.sendUser(e.addr, e.port, e.message)
          break
        case 'emit':
          this.ports.emit(e.event)
          break
        case 'set-timer':
          this.ports.setTimer(e.id, Math.max(0, e.atMs - this.ports.now()))
          break
        case 'cancel-timer':
          this.ports.cancelTimer(e.id)
          break
        case 'snapshot':
          break // the simulator keeps no snapshot
      }
    }
    if (eventStateChanged(before, this.state)) this.ports.slice(eventStateOf(this.state))
    return r.result
  }

  message(bytes: Uint8Array): void {
    this.run({ type: 'message', bytes, now: this.ports.now(), random: this.ports.random })
  }

  memberEvent(event: Extract<CoreInput, { type: 'member-event' }>['event'], members: SerfEventsMember[]): void {
    this.run({ type: 'member-event', event, members, now: this.ports.now() })
  }

  mergeRemote(m: { eventLTime: bigint; events: Array<EventSlot | null> | null; queryLTime: bigint; join: boolean }): void {
    this.run({ type: 'merge-remote', ...m, now: this.ports.now() })
  }

  timer(id: string): void {
    this.run({ type: 'timer', id, now: this.ports.now() })
  }

  userEvent(name: string, payload: Uint8Array | null, coalesce: boolean): CoreResult | undefined {
    return this.run({ type: 'user-event', request: { name, payload, coalesce }, now: this.ports.now() })
  }

  query(request: QueryRequest): CoreResult | undefined {
    return this.run({ type: 'query', request, now: this.ports.now(), random: this.ports.random })
  }

  respond(key: string, payload: Uint8Array | null): CoreResult | undefined {
    return this.run({ type: 'respond', key, payload, now: this.ports.now(), random: this.ports.random })
  }
}

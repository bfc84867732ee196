/**
 * Inspection fan-out: `system.inspect(listener)` turns transition reporting on in every actor
 * (inline hosts directly, workers by an in-order link item) while at least one listener is
 * attached, and off again after the last one leaves, so it costs nothing unobserved.
 */
import { K } from './frames.ts'
import type { SystemCore } from './system-core.ts'
import type { InspectionEvent, Unsubscribe } from './types.ts'

export class Inspection {
  constructor(readonly core: SystemCore) {}

  /** The inline hosts' inspector: stamps each transition with the system clock and fans it out. */
  readonly inline = (actor: string, event: string, state: unknown): void => {
    const e: InspectionEvent = { actor, event, state: state as InspectionEvent['state'], at: this.core.clock.now(), placement: 'inline' }
    for (const l of this.core.inspectors) l(e)
  }

  /** Fans out a batch of events forwarded by a worker. */
  forward(events: InspectionEvent[]): void {
    const listeners = this.core.inspectors
    for (const e of events) for (const l of listeners) l(e)
  }

  get active(): boolean {
    return this.core.inspectors.size > 0
  }

  add(listener: (event: InspectionEvent) => void): Unsubscribe {
    const inspectors = this.core.inspectors
    const first = inspectors.size === 0
    inspectors.add(listener)
    if (first) this.#set(true)
    return () => {
      if (!inspectors.delete(listener)) return
      if (inspectors.size === 0) this.#set(false)
    }
  }

  #set(on: boolean): void {
    for (const e of this.core.actors.values()) {
      if (e.inline !== undefined) e.inline.host.setInspector(on ? this.inline : undefined)
      else if (!e.worker!.link.closed) e.worker!.link.force({ k: K.inspect, on })
    }
  }
}

/**
 * EmitTap: the tap on the events one hosted actor's machine emits (XState v5 `emit`), for the
 * types somebody subscribed to. Each new incarnation of the machine (a restart in place) is tapped
 * again with the same types, so subscriptions outlive restarts. Off (no types), it costs nothing:
 * no XState listener is registered, and XState's emit returns before touching the event.
 */
import type { Actor, AnyStateMachine } from 'xstate'

/** Receives one emitted event. Must not throw (XState would rethrow it on a timer). */
export type EmitSink = (event: { type: string }) => void

export class EmitTap {
  #types: readonly string[] = []
  #sink: EmitSink | undefined
  #subs: { unsubscribe(): void }[] = []

  /** The types tapped now (`'*'` for every type). */
  get types(): readonly string[] {
    return this.#types
  }

  /**
   * Sets the types to forward to `sink` (empty: none) and taps `actor` at once when given.
   * `'*'` among them taps every type once (a type and the wildcard never forward an event twice).
   */
  set(types: readonly string[], sink: EmitSink | undefined, actor: Actor<AnyStateMachine> | undefined): void {
    this.#types = sink === undefined ? [] : types.includes('*') ? ['*'] : [...new Set(types)]
    this.#sink = sink
    this.detach()
    if (actor !== undefined) this.attach(actor)
  }

  /** Taps an incarnation of the machine (before or after it starts). */
  attach(actor: Actor<AnyStateMachine>): void {
    this.detach()
    const sink = this.#sink
    if (sink === undefined) return
    const forward = (event: unknown): void => {
      try {
        sink(event as { type: string })
      } catch {
        // The sinks count their own failures; nothing may reach XState's rethrow.
      }
    }
    for (const type of this.#types) this.#subs.push(actor.on(type as never, forward as never))
  }

  detach(): void {
    for (const s of this.#subs) s.unsubscribe()
    this.#subs = []
  }
}

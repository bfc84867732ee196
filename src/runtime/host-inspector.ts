/**
 * HostInspector: the inspection tap on one hosted actor. While a listener is set, each snapshot
 * event of the actor's XState system (the root machine and its children) reaches the listener as
 * (actor, event, state); a child is named `<root id>/<child id>`. Each new incarnation of the
 * machine (a restart) is tapped again. Off, it costs nothing: no XState inspector is registered.
 */
import type { Actor, AnyStateMachine } from 'xstate'

export type InspectListener = (actor: string, event: string, state: unknown) => void

export class HostInspector {
  #listener: InspectListener | undefined
  #sub: { unsubscribe(): void } | undefined

  constructor(readonly rootId: string) {}

  /** Sets the listener (undefined turns inspection off); taps `actor` at once when given. */
  set(listener: InspectListener | undefined, actor: Actor<AnyStateMachine> | undefined): void {
    this.#listener = listener
    this.detach()
    if (actor !== undefined) this.attach(actor)
  }

  /** Taps an incarnation of the machine (before it starts), if a listener is set. */
  attach(root: Actor<AnyStateMachine>): void {
    const listener = this.#listener
    if (listener === undefined) return
    this.#sub?.unsubscribe()
    const rootId = this.rootId
    this.#sub = root.system.inspect((ev) => {
      if (ev.type !== '@xstate.snapshot') return
      const e = ev as unknown as { actorRef: { id: string }; event: { type: string }; snapshot: { value?: unknown } }
      const who = (e.actorRef as unknown) === root ? rootId : `${rootId}/${e.actorRef.id}`
      listener(who, e.event.type, e.snapshot.value)
    })
  }

  detach(): void {
    this.#sub?.unsubscribe()
    this.#sub = undefined
  }
}

/**
 * HostInspector: the inspection tap on one hosted actor. While a listener is set, each snapshot
 * update of the actor's machine and of its child actors reaches the listener as (actor, event,
 * state); a child is named `<root id>/<child id>`. Each new incarnation of the machine (a restart)
 * is tapped again. Off, it costs nothing: nothing is wrapped or registered.
 *
 * Why not XState's `system.inspect`: once an inspection observer is registered, XState builds and
 * dispatches an inspection object for every event, microstep, action and snapshot of the whole
 * system (four or more per transition); on the runtime bench that took more than half the
 * throughput of a busy actor. The tap instead wraps the `update(snapshot, event)` method of the
 * tapped actors (XState's Actor calls it once per processed event, and once at start with the
 * init event): one extra call per transition. A child found in a new `children` map is reported
 * once with its current state ('xstate.init'), then tapped. If XState's Actor ever lacks that
 * method, the tap falls back to `system.inspect`.
 */
import type { Actor, AnyStateMachine } from 'xstate'

export type InspectListener = (actor: string, event: string, state: unknown) => void

type Updatable = { update?: (snapshot: { value?: unknown; children?: Record<string, unknown> }, event: { type: string }) => void }

export class HostInspector {
  #listener: InspectListener | undefined
  #sub: { unsubscribe(): void } | undefined
  /** Actors whose `update` is wrapped now (an own property over the prototype's method). */
  readonly #wrapped = new Set<Updatable>()
  /** The root's children tapped now, by id (only those alive: a page open for hours holds no dead ones). */
  readonly #children = new Map<string, Updatable>()

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
    this.detach()
    if (typeof (root as unknown as Updatable).update !== 'function') {
      this.#attachInspect(root, listener)
      return
    }
    this.#wrap(root as unknown as Updatable, this.rootId, listener, true)
  }

  #wrap(target: Updatable, name: string, listener: InspectListener, root: boolean): void {
    const original = target.update!
    let children: Record<string, unknown> | undefined
    const self = this
    target.update = function (this: Updatable, snapshot, event) {
      original.call(this, snapshot, event)
      listener(name, event.type, snapshot.value)
      // Children of the root: tap the new ones (spawned or invoked in this transition), untap the gone.
      if (root && snapshot.children !== undefined && snapshot.children !== children) {
        children = snapshot.children
        self.#retap(children, listener)
      }
    }
    this.#wrapped.add(target)
  }

  #retap(children: Record<string, unknown>, listener: InspectListener): void {
    for (const [id, t] of this.#children) {
      if (children[id] === t) continue
      delete t.update
      this.#wrapped.delete(t)
      this.#children.delete(id)
    }
    for (const [id, ref] of Object.entries(children)) {
      const child = ref as Updatable & { getSnapshot?: () => { value?: unknown } }
      if (this.#children.get(id) === child || typeof child?.update !== 'function') continue
      const name = `${this.rootId}/${id}`
      listener(name, 'xstate.init', child.getSnapshot?.().value)
      this.#wrap(child, name, listener, false)
      this.#children.set(id, child)
    }
  }

  #attachInspect(root: Actor<AnyStateMachine>, listener: InspectListener): void {
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
    // The prototype's method shows through again.
    for (const t of this.#wrapped) delete t.update
    this.#wrapped.clear()
    this.#children.clear()
  }
}

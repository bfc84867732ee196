/**
 * What each running node of the demo has seen: every member's status by observer, and the user
 * events each received, with the time (ms, the demo's clock) it first saw each. Fed from each
 * node's `members()` once and its `events()` stream after; the script waits on it
 * (`until(check)`), so a step is "seen" when the nodes' own event streams say so, not when a timer
 * guesses it.
 *
 * Order: a node's stream is subscribed before its `members()` is read, so an event may arrive
 * before that list and be older than it, but never older than a later event of the same member. A
 * member's status from any event therefore wins over the list, and the list only fills members no
 * event has mentioned yet.
 */

export interface SeenStatus {
  status: string
  /** When this observer first saw the member in this status (ms, the demo's clock). */
  at: number
}

interface Waiter {
  check: () => boolean
  resolve: (met: boolean) => void
}

/** The leader of the demo's election group as one observer knows it. */
export interface SeenLeader {
  leader: string | null
  term: number
  /** When this observer learnt it (ms, the demo's clock). */
  at: number
}

export class ClusterView {
  readonly #members = new Map<string, Map<string, SeenStatus>>()
  readonly #fromEvents = new Map<string, Set<string>>()
  readonly #userEvents = new Map<string, Map<string, number>>()
  readonly #leaders = new Map<string, SeenLeader>()
  readonly #waiters = new Set<Waiter>()

  /** Starts (or restarts) what `observer` has seen: nothing, until its list and events come. */
  open(observer: string): void {
    this.#members.set(observer, new Map())
    this.#fromEvents.set(observer, new Set())
    this.#userEvents.set(observer, new Map())
    this.#changed()
  }

  /** The observer stopped: it sees nothing any more. */
  close(observer: string): void {
    this.#members.delete(observer)
    this.#fromEvents.delete(observer)
    this.#userEvents.delete(observer)
    this.#leaders.delete(observer)
    this.#changed()
  }

  /** The observer's `members()` list: fills only members no event has mentioned. */
  list(observer: string, members: ReadonlyArray<{ name: string; status: string }>, at: number): void {
    const seen = this.#members.get(observer)
    const evented = this.#fromEvents.get(observer)
    if (seen === undefined || evented === undefined) return
    for (const m of members) if (!evented.has(m.name)) this.#set(seen, m.name, m.status, at)
    this.#changed()
  }

  /** A member event the observer received (member-join, -leave, -failed, -update, -reap). */
  memberEvent(observer: string, members: ReadonlyArray<{ name: string; status: string }>, at: number): void {
    const seen = this.#members.get(observer)
    const evented = this.#fromEvents.get(observer)
    if (seen === undefined || evented === undefined) return
    for (const m of members) {
      evented.add(m.name)
      this.#set(seen, m.name, m.status, at)
    }
    this.#changed()
  }

  /** A user event the observer received; `key` names it (e.g. `deploy=v2`). */
  userEvent(observer: string, key: string, at: number): void {
    const got = this.#userEvents.get(observer)
    if (got === undefined || got.has(key)) return
    got.set(key, at)
    this.#changed()
  }

  /** The observer's view of the election group changed (its leader, or none, and the term). */
  leader(observer: string, leader: string | null, term: number, at: number): void {
    if (!this.#members.has(observer)) return
    const was = this.#leaders.get(observer)
    if (was !== undefined && was.leader === leader && was.term === term) return
    this.#leaders.set(observer, { leader, term, at })
    this.#changed()
  }

  leaderOf(observer: string): SeenLeader | undefined {
    return this.#leaders.get(observer)
  }

  /** The running observers, in the order they were opened. */
  observers(): string[] {
    return [...this.#members.keys()]
  }

  status(observer: string, member: string): SeenStatus | undefined {
    return this.#members.get(observer)?.get(member)
  }

  /** When the observer received the user event `key`, or undefined. */
  userEventAt(observer: string, key: string): number | undefined {
    return this.#userEvents.get(observer)?.get(key)
  }

  /**
   * Resolves true as soon as `check()` holds (now or after a later change), false when one of
   * `signals` fires first (a step's deadline or the user's Ctrl-C).
   */
  until(check: () => boolean, signals: readonly AbortSignal[]): Promise<boolean> {
    if (check()) return Promise.resolve(true)
    if (signals.some((s) => s.aborted)) return Promise.resolve(false)
    return new Promise((resolve) => {
      const waiter: Waiter = {
        check,
        resolve: (met) => {
          this.#waiters.delete(waiter)
          for (const s of signals) s.removeEventListener('abort', onAbort)
          resolve(met)
        },
      }
      const onAbort = (): void => waiter.resolve(false)
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
    })
  }

  #set(seen: Map<string, SeenStatus>, name: string, status: string, at: number): void {
    if (seen.get(name)?.status !== status) seen.set(name, { status, at })
  }

  #changed(): void {
    for (const w of [...this.#waiters]) if (w.check()) w.resolve(true)
  }
}

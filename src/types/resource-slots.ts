/**
 * Per-actor resource slots: where a placement keeps what cannot be copied into a snapshot or a
 * message (a socket, a file handle) for the actor it hosts. One slot set per actor, created by the
 * runtime with the actor's env and owned by its placement: it outlasts a restart in place (the
 * socket stays open for the restored machine) and is released when the actor stops for good or its
 * thread ends. The machine never holds the resource in its context or events; its placement's
 * `provide(env)` implementations reach it through `env.resources`.
 */

/** Runs when a resource leaves its slot (replaced, released, or the actor stopped for good). */
export type ReleaseFn<T> = (value: T) => void | Promise<void>

export interface ResourceSlots {
  /** The resource held under `key`, if any. */
  get<T>(key: string): T | undefined
  /**
   * Holds `value` under `key`; a resource held there before is released first. After `closeAll`
   * (the actor stopped for good) the value is released at once and not held: a bind that completes
   * after its actor stopped cannot leak its socket.
   */
  hold<T>(key: string, value: T, release: ReleaseFn<T>): void
  /** Releases and forgets the resource under `key` (no-op when empty). */
  release(key: string): Promise<void>
  /** Releases every resource and refuses new ones. Idempotent: a second call resolves when the first call's releases have finished. */
  closeAll(): Promise<void>
  /** True once closeAll ran. */
  readonly closed: boolean
}

/**
 * A key-value watch that keeps going: the election's and the assignment store's NATS KV watches
 * both open a watch, hand each entry on, and open it again `retryMs` after it breaks (a lost
 * connection ends the iterator) or fails to open, until stopped or the connection is closed for
 * good. Handles are kept in the caller's `registry` so its close() stops them all.
 */

export interface KvWatchHandle {
  stop(): void
}

export interface RestartingWatchOptions<E> {
  /** Opens one watch (e.g. `kv.watch({...})`): an async iterable that `stop()` ends. */
  open: () => Promise<AsyncIterable<E> & { stop(): void }>
  /** True once the connection is closed for good: no more attempts. */
  isClosed: () => boolean
  /** Wait before opening again after a break or a failed open (ms). */
  retryMs: number
  onEntry: (entry: E) => void
  registry: Set<KvWatchHandle>
}

export function restartingWatch<E>(o: RestartingWatchOptions<E>): KvWatchHandle {
  let stopped = false
  let current: { stop(): void } | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  const again = (): void => {
    if (!stopped) retry = setTimeout(start, o.retryMs)
  }
  const start = (): void => {
    if (stopped || o.isClosed()) return
    o.open().then((iter) => {
      current = iter
      if (stopped) return iter.stop()
      void (async () => {
        try {
          for await (const e of iter) o.onEntry(e)
        } catch {
          // the watch broke (connection lost): opened again below
        }
        again()
      })()
    }, again)
  }
  start()
  const handle: KvWatchHandle = {
    stop() {
      stopped = true
      if (retry !== undefined) clearTimeout(retry)
      current?.stop()
      o.registry.delete(handle)
    },
  }
  o.registry.add(handle)
  return handle
}

/**
 * runSoon: runs `fn` as a microtask, after the code running now, through an already resolved
 * promise instead of `queueMicrotask`.
 *
 * Node's queueMicrotask wraps every callback in an AsyncResource (a new async id, a bound
 * function, and before/after/destroy bookkeeping around the call) so async_hooks can follow it.
 * The runtime queues one or two per message it posts (the link's flush, its credit check, the
 * inline mailbox's drain): on an ask's round trip that bookkeeping was about a tenth of the system
 * thread's own work (`npx tsx bench/runtime/hot-path.ts`). A promise reaction goes into the same
 * V8 microtask queue, so the order against other microtasks and awaits is unchanged; the async
 * context a callback sees is the one it was queued from, as with queueMicrotask.
 *
 * The callbacks handed to it never throw (they catch what they call). If one did, the error would
 * surface as an unhandled rejection instead of an uncaught exception: under Node's default
 * (`--unhandled-rejections=throw`) the process ends the same way.
 */
const resolved = Promise.resolve()

export function runSoon(fn: () => void): void {
  void resolved.then(fn)
}

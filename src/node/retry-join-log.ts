/**
 * Serf's retry-join as the node reports it: swim runs the attempts (join-retry.ts, counted in its
 * context); this watcher reads swim's `joinRetry` every 250 ms while a retry is pending and logs
 * each outcome close to Serf agent's wording (`Join completed (retry-join)`, `Join failed,
 * retrying in <n>s: <err>`, `maximum retry join attempts made: <err>`), so the node's log ring (and
 * `monitor`) shows them; a failed attempt that a later one replaced within one poll is not logged
 * (swim counts every one: joinFailures). It stops once the retry is joined or exhausted, and at
 * shutdown.
 */
import type { Logger } from 'pino'
import type { SwimContext } from './compose.ts'

type JoinRetryView = SwimContext['joinRetry']

export interface RetryJoinWatch {
  stop(): void
}

/** How often the retry's state is read (ms): a retry waits at least ~0.8 s between attempts, so most failed attempts are seen. */
const POLL_MS = 250

/** `now`: the actor clock (ms), the clock swim's nextAttemptAtMs is on. */
export function watchRetryJoin(read: () => Promise<JoinRetryView | undefined>, log: Logger, now: () => number): RetryJoinWatch {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let attemptsLogged = 0
  const tick = async (): Promise<void> => {
    const r = await read().catch(() => undefined)
    if (stopped || r === undefined) return
    if (r.attempts > attemptsLogged && (r.status === 'waiting' || r.status === 'exhausted') && r.lastError !== undefined) {
      attemptsLogged = r.attempts
      if (r.status === 'waiting') {
        const inMs = r.nextAttemptAtMs === null ? undefined : Math.max(0, r.nextAttemptAtMs - now())
        log.warn({ attempts: r.attempts, err: r.lastError }, `Join failed, retrying${inMs === undefined ? '' : ` in ${Math.round(inMs / 1000)}s`}`)
      }
    }
    if (r.status === 'joined') {
      log.info({ attempts: r.attempts }, 'Join completed (retry-join)')
      return
    }
    if (r.status === 'exhausted') {
      log.error({ attempts: r.attempts, err: r.lastError }, 'maximum retry join attempts made')
      return
    }
    if (r.status === 'off') return
    timer = setTimeout(() => void tick(), POLL_MS)
    timer.unref?.()
  }
  void tick()
  return {
    stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
    },
  }
}

/**
 * Serf's retry-join (serf-rpc.md 6.7): after startup, join all the addresses together; on success
 * log `Join completed. Synced with N initial agents` and stop; on failure log
 * `Join failed: <err>, retrying in <interval>` and wait; with a maximum M > 0, the M+1st failure
 * logs `maximum retry join attempts made, exiting` and the agent exits 1.
 */
import type { GossamerNode } from '../node/api.ts'
import { formatGoDuration } from '../cli/go-duration.ts'
import type { AgentLog } from './logs/agent-log.ts'

/** Runs `fn` after `ms`; the returned function cancels it. */
export type Schedule = (fn: () => void, ms: number) => () => void

export interface RetryJoinOptions {
  node: Pick<GossamerNode, 'join'>
  addresses: readonly string[]
  replay: boolean
  /** 0: until joined. */
  maxAttempts: number
  intervalMs: number
  log: AgentLog
  schedule: Schedule
  onExhausted(): void
}

export function startRetryJoin(o: RetryJoinOptions): { stop(): void } {
  let stopped = false
  let cancel: (() => void) | undefined
  let failures = 0
  const attempt = (): void => {
    if (stopped) return
    o.node.join(o.addresses, { replay: o.replay }).then(
      (n) => {
        if (!stopped) o.log.info('agent', `Join completed. Synced with ${n} initial agents`)
      },
      (err: unknown) => {
        if (stopped) return
        failures++
        if (o.maxAttempts > 0 && failures > o.maxAttempts) {
          o.log.err('agent', 'maximum retry join attempts made, exiting')
          o.onExhausted()
          return
        }
        o.log.warn('agent', `Join failed: ${(err as Error).message}, retrying in ${formatGoDuration(o.intervalMs)}`)
        cancel = o.schedule(attempt, o.intervalMs)
      },
    )
  }
  attempt()
  return {
    stop() {
      stopped = true
      cancel?.()
    },
  }
}

/**
 * Serf's agent signal handling (serf-rpc.md 6.8): SIGHUP reloads and keeps running; SIGINT leaves
 * gracefully unless `skip_leave_on_interrupt`; SIGTERM leaves only with `leave_on_terminate`. A
 * graceful leave exits 0 when it completes, 1 when another signal or 3 s come first (a leave error
 * is printed and ends in that wait). Without a leave the exit is 1.
 */
import type { AgentConfig } from './config/agent-config.ts'
import type { Schedule } from './retry-join.ts'

export type AgentSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

export interface SignalSource {
  on(signal: AgentSignal, fn: () => void): void
  off(signal: AgentSignal, fn: () => void): void
}

/** Go's os.Signal String(). */
const SIGNAL_TEXT: Readonly<Record<AgentSignal, string>> = { SIGINT: 'interrupt', SIGTERM: 'terminated', SIGHUP: 'hangup' }

/** How long a graceful leave on a signal may take before the agent exits 1 anyway (ms). */
export const GRACEFUL_LEAVE_MS = 3000

export interface WaitOptions {
  signals: SignalSource
  /** Resolves with an exit code when the agent ends for another reason (RPC leave, retry-join). */
  finished: Promise<number>
  config(): AgentConfig
  say(line: string): void
  leave(): Promise<void>
  reload(): Promise<void>
  schedule: Schedule
  /** Called once the signal listeners are on (from here a signal is the agent's, not the default action). */
  listening?: () => void
}

export async function waitForShutdown(o: WaitOptions): Promise<number> {
  const pending: AgentSignal[] = []
  let wake: (() => void) | undefined
  const listeners = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const fn = (): void => {
      pending.push(sig)
      wake?.()
    }
    o.signals.on(sig, fn)
    return [sig, fn] as const
  })
  o.listening?.()
  const nextSignal = (): Promise<AgentSignal> =>
    pending.length > 0
      ? Promise.resolve(pending.shift()!)
      : new Promise((resolve) => {
          wake = () => {
            wake = undefined
            resolve(pending.shift()!)
          }
        })
  try {
    for (;;) {
      const got = await Promise.race([nextSignal(), o.finished.then((code) => ({ code }))])
      if (typeof got === 'object') return got.code
      o.say(`Caught signal: ${SIGNAL_TEXT[got]}`)
      if (got === 'SIGHUP') {
        o.say('Reloading configuration...')
        await o.reload()
        continue
      }
      const graceful = got === 'SIGINT' ? !o.config().skipLeaveOnInterrupt : o.config().leaveOnTerminate
      if (!graceful) return 1
      o.say('Gracefully shutting down agent...')
      let cancel: () => void = () => {}
      const timeout = new Promise<number>((resolve) => (cancel = o.schedule(() => resolve(1), GRACEFUL_LEAVE_MS)))
      // Once the wait has ended (a second signal, the timeout), the shutdown that follows stops
      // the leave: its error then says nothing the user asked about, and is not printed.
      let waiting = true
      const left = o.leave().then(
        () => 0,
        (err: unknown) => {
          if (waiting) o.say(`Error: ${(err as Error).message}`)
          return new Promise<number>(() => {}) // Serf then waits for the timeout or a signal
        },
      )
      const code = await Promise.race([left, timeout, nextSignal().then(() => 1)])
      waiting = false
      cancel()
      return code
    }
  } finally {
    wake = undefined
    for (const [sig, fn] of listeners) o.signals.off(sig, fn)
  }
}

/**
 * The pieces of an actor's exit the host assembles at stop: offering `runtime.shutdown` and waiting
 * for the machine to finish its exit work (a final state) within a timeout, the definition's
 * reading of the final context as an ActorExitReport, the placement's onStop (a failure makes the
 * report unclean), releasing the env's resources, and those whose release failed added to the report.
 */
import type { Actor, AnyStateMachine } from 'xstate'
import { toWireError } from '../errors/cluster-error.ts'
import { SHUTDOWN, type ActorEnv } from '../types/actor-env.ts'
import { resourcesOf } from './env.ts'
import type { ReleaseFailure } from './resource-slots.ts'
import type { ActorExitReport } from './types.ts'

/**
 * Offers `runtime.shutdown` to a running machine if it takes it: true when it finished at once (or
 * had no exit work to do), else a promise of whether it reached a final state within timeoutMs.
 * Synchronous when there is nothing to wait for: the host marks itself stopped before a turn end
 * can run, so the final state (the exit work's) is never persisted over the last running one.
 */
export function offerShutdown(actor: Actor<AnyStateMachine>, timeoutMs: number): true | Promise<boolean> {
  const snap = actor.getSnapshot()
  if (snap.status !== 'active' || !snap.can({ type: SHUTDOWN } as never)) return true
  actor.send({ type: SHUTDOWN } as never)
  return actor.getSnapshot().status === 'active' ? waitDone(actor, timeoutMs) : true
}

/** Runs the placement's onStop; a failure is logged and makes the exit report unclean. Never rejects. */
export async function runOnStop(
  impl: { onStop?: (env: ActorEnv) => void | Promise<void> },
  env: ActorEnv,
  exit: ActorExitReport | undefined,
): Promise<ActorExitReport | undefined> {
  try {
    await impl.onStop?.(env)
    return exit
  } catch (err) {
    const error = toWireError(err)
    env.log.error({ err: error }, 'onStop failed')
    return { ...exit, clean: false, reason: exit?.reason ?? 'onStop failed', error: exit?.error ?? error }
  }
}

/** Resolves true once the actor is no longer active (done, error, stopped), false after `timeoutMs`. */
export function waitDone(actor: Actor<AnyStateMachine>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.unsubscribe()
      resolve(false)
    }, timeoutMs)
    const sub = actor.subscribe({
      next: (s) => {
        if (s.status !== 'active') {
          clearTimeout(timer)
          sub.unsubscribe()
          resolve(true)
        }
      },
      error: () => {
        clearTimeout(timer)
        resolve(true)
      },
      complete: () => {
        clearTimeout(timer)
        resolve(true)
      },
    })
  })
}

/** The definition's reading of the final context (`exitReport`); a throwing reader counts as unclean. */
export function readExitReport(read: ((context: never) => ActorExitReport | undefined) | undefined, context: () => unknown): ActorExitReport | undefined {
  if (read === undefined) return undefined
  try {
    const r = read(context() as never)
    if (r === undefined) return undefined
    // A plain copy: it crosses threads, and only the documented fields are reported.
    const out: ActorExitReport = { clean: r.clean === true }
    if (typeof r.reason === 'string') out.reason = r.reason
    if (typeof r.undelivered === 'number') out.undelivered = r.undelivered
    if (typeof r.unwritten === 'number') out.unwritten = r.unwritten
    if (r.error !== undefined) out.error = toWireError(r.error)
    return out
  } catch (err) {
    return { clean: false, reason: 'exitReport failed', error: toWireError(err) }
  }
}

/**
 * Releases the env's resource slots (the actor stopped for good). Idempotent: a second call (the
 * stop after an escalation) waits for the first one's releases. Never rejects: the failures are
 * kept in the slots' `closeFailures` for the exit report.
 */
export function releaseResources(env: ActorEnv): Promise<void> {
  return resourcesOf(env)?.closeAll().catch(() => {}) ?? Promise.resolve()
}

/** The exit report with the releases that failed at stop (which make it unclean); unchanged without any. */
export function withReleaseFailures(exit: ActorExitReport | undefined, failures: readonly ReleaseFailure[]): ActorExitReport | undefined {
  if (failures.length === 0) return exit
  const releaseFailures = failures.map((f) => ({ key: f.key, error: f.error }))
  return { ...exit, clean: false, reason: exit?.reason ?? 'resource release failed', releaseFailures }
}

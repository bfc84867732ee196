/**
 * Scenarios as data (chitchat's cluster_test style): a list of operations that the runner applies
 * to a cluster in order. Assertions wait (in simulated time) up to `withinMs` for their condition
 * and record whether and when it held, so a failing scenario says which step failed.
 *
 * One runner, two kinds of cluster (scenario-cluster.ts): `runScenario` drives a synchronous one
 * (SimCluster) and returns at once; `runScenarioAsync` drives any, awaiting the operations that
 * return promises (RuntimeCluster: the real actors). The steps are written once, as a generator
 * that yields whatever an operation returned; each driver feeds the value (or the awaited value)
 * back in.
 */
import type { NodeStateKind } from '../actors/swim/messages.ts'
import type { DeathReport, MaybePromise, ScenarioCluster, SyncScenarioCluster } from './scenario-cluster.ts'

export type { DeathReport, ScenarioCluster, SyncScenarioCluster } from './scenario-cluster.ts'

export type Assertion =
  /** Every running node sees exactly the running nodes as alive. */
  | { kind: 'converged' }
  /** `observers` (default: every running node but the subject) see `subject` in `state`. */
  | { kind: 'state'; subject: string; state: NodeStateKind; observers?: string[] }
  /**
   * No node has ever reported `subjects` (default: every node not crashed) as dead (failed). An
   * invariant: with `withinMs` the clock runs the whole window and the step fails at the first
   * false death in it (without, it is checked once, now).
   */
  | { kind: 'never-dead'; subjects?: string[] }

export type Operation =
  | { op: 'addNode'; name: string; joinVia?: string[] }
  | { op: 'crashNode'; name: string }
  | { op: 'leaveNode'; name: string; timeoutMs?: number }
  | { op: 'slowNode'; name: string; delayMs: number }
  | { op: 'partition'; groups: string[][] }
  | { op: 'heal' }
  | { op: 'loss'; loss: number }
  | { op: 'wait'; ms: number }
  | { op: 'assert'; what: Assertion; withinMs?: number }

export interface StepResult {
  step: number
  op: Operation
  atMs: number
  ok: boolean
  /** For assertions: when the condition first held (simulated ms), or why it did not. */
  detail?: string
}

export interface ScenarioResult {
  ok: boolean
  steps: StepResult[]
  endMs: number
}

/** Runs the scenario on a synchronous cluster (SimCluster). */
export function runScenario(cluster: SyncScenarioCluster, operations: readonly Operation[]): ScenarioResult {
  const steps = scenarioSteps(cluster, operations)
  let next = steps.next()
  while (next.done !== true) {
    if (isPromise(next.value)) throw new TypeError('runScenario: the cluster returned a promise; use runScenarioAsync')
    next = steps.next(next.value)
  }
  return next.value
}

/** Runs the scenario on any cluster, awaiting operations that return promises (RuntimeCluster). */
export async function runScenarioAsync(cluster: ScenarioCluster, operations: readonly Operation[]): Promise<ScenarioResult> {
  const steps = scenarioSteps(cluster, operations)
  let next = steps.next()
  while (next.done !== true) next = steps.next(await next.value)
  return next.value
}

/** Yields `value` to the driver and returns what the driver hands back (the awaited value). */
function* step<T>(value: MaybePromise<T>): Generator<unknown, T, unknown> {
  return (yield value) as T
}

function* scenarioSteps(cluster: ScenarioCluster, operations: readonly Operation[]): Generator<unknown, ScenarioResult, unknown> {
  const results: StepResult[] = []
  let ok = true
  for (const [i, op] of operations.entries()) {
    const atMs = cluster.now()
    switch (op.op) {
      case 'addNode':
        yield* step(cluster.addNode(op.name, op.joinVia ?? []))
        break
      case 'crashNode':
        yield* step(cluster.crash(op.name))
        break
      case 'leaveNode':
        yield* step(cluster.leave(op.name, op.timeoutMs))
        break
      case 'slowNode':
        cluster.slow(op.name, op.delayMs)
        break
      case 'partition':
        cluster.partition(...op.groups)
        break
      case 'heal':
        cluster.heal()
        break
      case 'loss':
        cluster.setLoss(op.loss)
        break
      case 'wait':
        yield* step(cluster.run(op.ms))
        break
      case 'assert': {
        const r = yield* assertion(cluster, op.what, op.withinMs)
        if (!r.ok) ok = false
        results.push({ step: i, op, atMs, ...r })
        continue
      }
    }
    results.push({ step: i, op, atMs, ok: true })
  }
  return { ok, steps: results, endMs: cluster.now() }
}

function* assertion(cluster: ScenarioCluster, a: Assertion, withinMs: number | undefined): Generator<unknown, { ok: boolean; detail: string }, unknown> {
  if (a.kind === 'never-dead') {
    // An invariant: look for the first violation over the whole window, then finish the window
    // either way, so the steps after it start at the same time whether it held or not.
    const start = cluster.now()
    const violated = falseDeathWatch(cluster, a.subjects)
    const at = withinMs === undefined ? (violated() ? start : undefined) : yield* step(cluster.runUntil(violated, withinMs))
    if (withinMs !== undefined && cluster.now() < start + withinMs) yield* step(cluster.run(start + withinMs - cluster.now()))
    if (at === undefined) return { ok: true, detail: `held from ${start} to ${cluster.now()} ms` }
    return { ok: false, detail: `false death at ${at} ms: ${JSON.stringify(falseDeaths(cluster, a.subjects).slice(0, 5))}` }
  }
  let at: number | undefined
  if (withinMs === undefined) {
    yield* step(cluster.observe())
    at = holds(cluster, a) ? cluster.now() : undefined
  } else {
    at = yield* step(cluster.runUntil(() => holds(cluster, a), withinMs))
  }
  return at === undefined ? { ok: false, detail: explain(cluster) } : { ok: true, detail: `held at ${at} ms` }
}

export function holds(cluster: ScenarioCluster, a: Assertion): boolean {
  switch (a.kind) {
    case 'converged':
      return cluster.converged()
    case 'state': {
      const observers = a.observers ?? cluster.runningNames().filter((n) => n !== a.subject)
      return observers.every((o) => cluster.stateOf(o, a.subject) === a.state)
    }
    case 'never-dead':
      return falseDeaths(cluster, a.subjects).length === 0
  }
}

/**
 * A predicate that turns true at the first false death. It scans only the reports added since its
 * last call: checked after every simulated event over a long window, a full scan would be quadratic.
 */
function falseDeathWatch(cluster: ScenarioCluster, subjects: readonly string[] | undefined): () => boolean {
  let scanned = 0
  return () => {
    const reports = cluster.deathReports()
    for (; scanned < reports.length; scanned++) if (isFalseDeath(cluster, reports[scanned]!, subjects)) return true
    return false
  }
}

function isFalseDeath(cluster: ScenarioCluster, r: DeathReport, subjects: readonly string[] | undefined): boolean {
  if (subjects !== undefined && !subjects.includes(r.subject)) return false
  return !cluster.wasCrashed(r.subject)
}

/** Reports of a node as dead (failed) whose subject had not crashed, optionally limited to `subjects`. */
export function falseDeaths(cluster: ScenarioCluster, subjects?: readonly string[]): DeathReport[] {
  return cluster.deathReports().filter((r) => isFalseDeath(cluster, r, subjects))
}

function explain(cluster: ScenarioCluster): string {
  return `not yet; views: ${cluster.describeViews().slice(0, 8).join(' | ')}`
}

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

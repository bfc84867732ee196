/**
 * Scenarios as data (chitchat's cluster_test style): a list of operations that `runScenario`
 * applies to a SimCluster in order. Assertions wait (in simulated time) up to `withinMs` for their
 * condition and record whether and when it held, so a failing scenario says which step failed.
 */
import type { NodeStateKind } from '../../actors/swim/messages.ts'
import type { SimCluster } from './cluster.ts'

export type Assertion =
  /** Every running node sees exactly the running nodes as alive. */
  | { kind: 'converged' }
  /** `observers` (default: every running node but the subject) see `subject` in `state`. */
  | { kind: 'state'; subject: string; state: NodeStateKind; observers?: string[] }
  /** No node has ever reported `subjects` (default: every node not crashed) as dead (failed). */
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

export function runScenario(cluster: SimCluster, operations: readonly Operation[]): ScenarioResult {
  const steps: StepResult[] = []
  let ok = true
  operations.forEach((op, step) => {
    const atMs = cluster.clock.now()
    switch (op.op) {
      case 'addNode':
        cluster.addNode(op.name, op.joinVia ?? [])
        break
      case 'crashNode':
        cluster.crash(op.name)
        break
      case 'leaveNode':
        cluster.leave(op.name, op.timeoutMs)
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
        cluster.run(op.ms)
        break
      case 'assert': {
        const check = () => holds(cluster, op.what)
        const at = op.withinMs === undefined ? (check() ? cluster.clock.now() : undefined) : cluster.runUntil(check, op.withinMs)
        const passed = at !== undefined
        if (!passed) ok = false
        steps.push({ step, op, atMs, ok: passed, detail: passed ? `held at ${at} ms` : explain(cluster, op.what) })
        return
      }
    }
    steps.push({ step, op, atMs, ok: true })
  })
  return { ok, steps, endMs: cluster.clock.now() }
}

export function holds(cluster: SimCluster, a: Assertion): boolean {
  switch (a.kind) {
    case 'converged':
      return cluster.converged()
    case 'state': {
      const observers = a.observers ?? cluster.running().map((n) => n.name).filter((n) => n !== a.subject)
      return observers.every((o) => cluster.get(o).stateOf(a.subject) === a.state)
    }
    case 'never-dead':
      return falseDeaths(cluster, a.subjects).length === 0
  }
}

/** Reports of a node as dead (failed) whose subject had not crashed, optionally limited to `subjects`. */
export function falseDeaths(cluster: SimCluster, subjects?: readonly string[]): Array<{ atMs: number; observer: string; subject: string }> {
  const out: Array<{ atMs: number; observer: string; subject: string }> = []
  for (const e of cluster.events) {
    if (e.output.type !== 'node-left' || e.output.node.state !== 'dead') continue
    const subject = e.output.node.name
    if (subjects !== undefined && !subjects.includes(subject)) continue
    const n = cluster.nodes.get(subject)
    if (n !== undefined && n.crashed && !n.left) continue
    out.push({ atMs: e.atMs, observer: e.observer, subject })
  }
  return out
}

function explain(cluster: SimCluster, a: Assertion): string {
  if (a.kind === 'never-dead') return `false deaths: ${JSON.stringify(falseDeaths(cluster, a.subjects).slice(0, 5))}`
  const views = cluster.running().map((n) => `${n.name}: ${[...n.view()].map(([k, v]) => `${k}=${v}`).join(',')}`)
  return `not yet; views: ${views.slice(0, 8).join(' | ')}`
}

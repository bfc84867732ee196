/**
 * ScenarioCluster: what the scenario runner (scenario.ts) needs from a simulated cluster, so one
 * runner drives both SimCluster (the pure logic wired synchronously, up to 1,000+ nodes) and
 * RuntimeCluster (the real actors on inline ActorSystems, a few nodes).
 *
 * Operations may complete synchronously (SimCluster) or return a promise (RuntimeCluster, whose
 * clock lets the actors' mailboxes drain between deadlines). Reads are synchronous: a cluster whose
 * views live behind asks refreshes a cached copy in `observe()`, which the runner calls before an
 * immediate check, and in `runUntil` before each evaluation of the predicate.
 *
 * States speak memberlist's vocabulary (alive / suspect / dead / left); a cluster that reports
 * Serf's member statuses maps them (failed → dead, leaving → alive: see RuntimeCluster).
 */
import type { NodeStateKind } from '../actors/swim/messages.ts'

/** A value now, or later. */
export type MaybePromise<T> = T | Promise<T>

/** `observer` reported `subject` as dead (memberlist) or failed (Serf) at `atMs`. */
export interface DeathReport {
  atMs: number
  observer: string
  subject: string
}

export interface ScenarioCluster {
  /** Simulated time (ms). */
  now(): number
  /** Creates and starts a node named `name`, joining through the given nodes. */
  addNode(name: string, joinVia: readonly string[]): MaybePromise<unknown>
  /** The host dies: no packets in or out, its timers stop, no leave is sent. */
  crash(name: string): MaybePromise<void>
  /** Graceful leave; the node stops once it has left (or after `timeoutMs`). */
  leave(name: string, timeoutMs?: number): MaybePromise<void>
  /** Delays the node's packets and streams by `delayMs` each way (0 restores it). */
  slow(name: string, delayMs: number): void
  partition(...groups: string[][]): void
  heal(): void
  /** Packet loss on every link, in [0, 1). */
  setLoss(loss: number): void
  /** Advances simulated time by `ms`. */
  run(ms: number): MaybePromise<void>
  /**
   * Runs until `pred` holds or `timeoutMs` passes; resolves to the simulated time at which it held,
   * or undefined (then the clock is at the end of the window).
   */
  runUntil(pred: () => boolean, timeoutMs: number): MaybePromise<number | undefined>
  /** Brings the views read by `stateOf`/`converged` up to date (a no-op where they are live). */
  observe(): MaybePromise<void>
  /** Names of the nodes still running (not crashed, not gone after a leave). */
  runningNames(): string[]
  /** What `observer` believes about `subject`, or undefined when it does not know it. */
  stateOf(observer: string, subject: string): NodeStateKind | undefined
  /** Every running node sees exactly the running nodes as alive, and nobody else as alive. */
  converged(): boolean
  /** Every dead/failed report so far, in order (a live array: it grows as the cluster runs). */
  deathReports(): readonly DeathReport[]
  /** The node was crashed by the scenario (not left): reports of its death are expected. */
  wasCrashed(name: string): boolean
  /** One line per running node: its view, for failure messages. */
  describeViews(): string[]
}

/** A ScenarioCluster whose every operation completes synchronously (SimCluster). */
export interface SyncScenarioCluster extends ScenarioCluster {
  addNode(name: string, joinVia: readonly string[]): unknown
  crash(name: string): void
  leave(name: string, timeoutMs?: number): void
  run(ms: number): void
  runUntil(pred: () => boolean, timeoutMs: number): number | undefined
  observe(): void
}

/**
 * One step's working copy of the assignment actor's state: a shallow copy (records are replaced,
 * never mutated, so the previous state stays intact), the effects emitted in order, and the small
 * helpers every part of the core uses (groups, refusals, replies).
 */
import { toWireError, type WireError } from '../../src/errors/index.ts'
import { bmGet, bmHas } from './bucket-map.ts'
import type { AssignmentActorState, AssignmentActorStats, AssignmentEffect, GroupState } from './actor-state.ts'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

export class ActorStep {
  readonly s: Mutable<AssignmentActorState>
  readonly stats: AssignmentActorStats
  readonly fx: AssignmentEffect[] = []

  constructor(
    state: AssignmentActorState,
    readonly now: number,
  ) {
    this.stats = { ...state.stats, refused: { ...state.stats.refused } }
    this.s = { ...state, stats: this.stats }
  }

  group(name: string): GroupState | undefined {
    return Object.hasOwn(this.s.groups, name) ? this.s.groups[name] : undefined
  }

  setGroup(g: GroupState): void {
    this.s.groups = { ...this.s.groups, [g.group]: g }
  }

  dropGroup(name: string): void {
    const next = { ...this.s.groups }
    delete next[name]
    this.s.groups = next
  }

  /** Counts a refusal (not the term guard's: those are in each group's guard) by its code. */
  refuse(errOrCode: unknown, message?: string): WireError {
    const wire: WireError = typeof errOrCode === 'string' ? { code: errOrCode, message: message ?? errOrCode } : toWireError(errOrCode)
    this.stats.refused[wire.code] = (this.stats.refused[wire.code] ?? 0) + 1
    this.stats.lastRefusal = { code: wire.code, message: wire.message }
    return wire
  }

  storeFailed(error: WireError): void {
    this.stats.storeErrors++
    this.stats.lastStoreError = error
  }

  /** An alive member that advertises the gossamer tag (it runs coordination). */
  isGossamer(node: string): boolean {
    return bmGet(this.s.members, node) === true
  }

  isAlive(node: string): boolean {
    return node === this.s.self || bmHas(this.s.members, node)
  }

  done(): { state: AssignmentActorState; effects: AssignmentEffect[] } {
    return { state: this.s, effects: this.fx }
  }
}

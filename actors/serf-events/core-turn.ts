/**
 * One step's working copy of the serf-events core state (`Turn`), and what every part of a step
 * needs from it: the parts it replaced so far, the effects so far, counting, logging and the
 * responder's context. core.ts routes inputs and effects; core-inputs.ts and core-internal.ts are
 * the step's parts, written as functions of a `Turn` so none of them imports the others' host.
 */
import type { RandomSource } from '../../src/types/random.ts'
import type { CoreEffect, CoreResult, CoreValue, SerfEventsCoreState, SerfEventsCounters } from './core-effects.ts'
import type { SerfEventsEffect } from './effects.ts'
import type { SerfEventsError } from './errors.ts'
import type { InternalOpsState } from './internal-ops.ts'
import { relayCandidates, selfOf } from './member-feed.ts'
import type { MemberFeed } from './member-feed.ts'
import type { SerfEventsMember } from './protocol.ts'
import type { ResponderContext } from './query-responder.ts'
import type { SerfEventsState } from './serf-events-state.ts'

export const ok = (value: CoreValue): CoreResult => ({ ok: true, value })
export const fail = (error: SerfEventsError): CoreResult => ({ ok: false, error })

/** How a step's effects are taken on (core.ts): the concept files' effects go through it. */
export type RouteEffects = (t: Turn, effects: readonly SerfEventsEffect[], random: RandomSource | undefined) => void

/** One step's working copy: the parts it replaced, and the effects so far. */
export class Turn {
  readonly effects: CoreEffect[] = []
  ev: SerfEventsState<SerfEventsMember>
  feed: MemberFeed
  ops: InternalOpsState
  counters: SerfEventsCounters
  told: SerfEventsCoreState['told']
  /** The input's time (ms on the runtime clock); 0 for inputs that carry none. */
  now = 0

  constructor(
    readonly base: SerfEventsCoreState,
    private readonly router: RouteEffects,
  ) {
    this.ev = base.ev
    this.feed = base.feed
    this.ops = base.ops
    this.counters = base.counters
    this.told = base.told
  }

  /** The new state, or `base` itself when no part changed. */
  finish(): SerfEventsCoreState {
    const b = this.base
    if (this.ev === b.ev && this.feed === b.feed && this.ops === b.ops && this.counters === b.counters && this.told === b.told) return b
    return { config: b.config, nodeName: b.nodeName, ev: this.ev, feed: this.feed, ops: this.ops, counters: this.counters, told: this.told }
  }

  count(key: keyof SerfEventsCounters): void {
    this.counters = { ...this.counters, [key]: this.counters[key] + 1 }
  }

  log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void {
    this.effects.push({ type: 'log', level, msg, fields })
  }

  /** Takes a concept file's effects on (core.ts's route). */
  route(effects: readonly SerfEventsEffect[], random: RandomSource | undefined): void {
    this.router(this, effects, random)
  }

  responderContext(random: RandomSource): ResponderContext {
    const c = this.base.config
    return {
      nowMs: this.now,
      self: { name: this.base.nodeName, tags: selfOf(this.feed, this.base.nodeName)?.tags ?? {} },
      members: relayCandidates(this.feed),
      random,
      config: { queryBuffer: c.queryBuffer, maxQueriesPerSlot: c.maxQueriesPerSlot, maxPendingQueries: c.maxPendingQueries, queryResponseSizeLimit: c.queryResponseSizeLimit, maxFilterExprLength: c.maxFilterExprLength },
    }
  }
}

/**
 * The shapes around swim's core (swim-core.ts) that its runners and tests name: who the node is,
 * the state a step hands out, a step's outcome, the core's own timer keys, and memberlist's
 * push/pull interval scaling. Types and constants only, so any file may import them.
 */
import type { SwimCountersView } from './counters.ts'
import type { SwimEffect } from './effects.ts'
import { GOSSIP_TIMER } from './gossip-ticker.ts'
import { LEAVE_TIMER } from './leave.ts'

export interface SwimIdentity {
  name: string
  addr: Uint8Array
  port: number
  meta?: Uint8Array
  vsn?: Uint8Array
  /** Incarnation to start at (a restart: above what peers may know, so our alive is news). Default 1. */
  incarnation?: number
}

/** What the core keeps as plain data (the swim context holds it unchanged): see SwimCore.state. */
export interface SwimCoreState {
  incarnation: number
  /** Lifeguard's awareness (0 = healthy). */
  healthScore: number
  /** Members in the table, us included. */
  numNodes: number
  counters: SwimCountersView
}

/** One step's outcome. */
export interface SwimStep {
  state: SwimCoreState
  effects: SwimEffect[]
}

/** Timer keys of the tickers and the leave (set-timer effects key timers by string). */
export const TIMER = { probeTick: 'probe-tick', gossipTick: GOSSIP_TIMER, pushPullTick: 'push-pull-tick', leave: LEAVE_TIMER } as const

/** memberlist pushPullScale (spec §4.8): the interval grows with log2(n) above 32 nodes. */
export function pushPullScale(intervalMs: number, n: number): number {
  const threshold = 32
  if (n <= threshold) return intervalMs
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(threshold)) + 1
  return multiplier * intervalMs
}

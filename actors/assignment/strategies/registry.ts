/** Builds a strategy by name, from the options every strategy understands (unused ones are ignored). */
import { consistentHash, type ConsistentHashOptions } from './consistent-hash.ts'
import { rendezvous } from './rendezvous.ts'
import { roundRobin } from './round-robin.ts'
import type { Strategy, StrategyName } from './strategy.ts'

export const STRATEGY_NAMES: readonly StrategyName[] = ['consistent-hash', 'rendezvous', 'round-robin']

export type StrategyOptions = ConsistentHashOptions

export function createStrategy(name: StrategyName, options: StrategyOptions = {}): Strategy {
  switch (name) {
    case 'consistent-hash':
      return consistentHash(options)
    case 'rendezvous':
      return rendezvous(options.seed === undefined ? {} : { seed: options.seed })
    case 'round-robin':
      return roundRobin()
  }
}

/** Shared builders for the serf-events core tests. */
import { createSeededRandom } from '../../../src/types/random.ts'
import type { RandomSource } from '../../../src/types/random.ts'
import { createSerfEventsConfig } from '../../../actors/serf-events/config.ts'
import type { SerfEventsConfig } from '../../../actors/serf-events/config.ts'
import type { RelayCandidate } from '../../../actors/serf-events/relay.ts'
import type { SerfEventsEffect } from '../../../actors/serf-events/effects.ts'
import type { SerfQuery } from '../../../src/wire/serf.ts'
import { encodeSerfMessage } from '../../../src/wire/serf.ts'

export const config = (init: Partial<SerfEventsConfig> = {}): SerfEventsConfig => createSerfEventsConfig(init)
export const rng = (seed = 1): RandomSource => createSeededRandom(seed)

export function member(name: string, i: number, over: Partial<RelayCandidate> = {}): RelayCandidate {
  return { name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, status: 'alive', protocolMax: 5, ...over }
}

export function query(over: Partial<SerfQuery> = {}): SerfQuery {
  return {
    type: 'query',
    LTime: 10n,
    ID: 77,
    Addr: Uint8Array.of(10, 0, 0, 9),
    Port: 7946,
    SourceNode: 'origin',
    Filters: null,
    Flags: 0,
    RelayFactor: 0,
    Timeout: 3_000_000_000n,
    Name: 'deploy',
    Payload: Uint8Array.of(1, 2),
    ...over,
  }
}
export const raw = (q: SerfQuery): Uint8Array => encodeSerfMessage(q)

export const ofType = <T extends SerfEventsEffect['type']>(effects: readonly SerfEventsEffect[], type: T): Extract<SerfEventsEffect, { type: T }>[] =>
  effects.filter((e): e is Extract<SerfEventsEffect, { type: T }> => e.type === type)

export const emitted = (effects: readonly SerfEventsEffect[]) => ofType(effects, 'emit').map((e) => e.event)

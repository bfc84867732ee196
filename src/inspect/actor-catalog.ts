/**
 * The actors `gossamer charts` can draw: every actor definition of the product
 * (actors/*\/definition.ts). Each is loaded lazily, and its machine is built with an inert env
 * (inert-env.ts) only to read its structure: nothing is spawned.
 */
import type { AnyStateMachine } from 'xstate'
import type { ActorEnv } from '../types/actor-env.ts'
import { ClusterError } from '../errors/index.ts'
import { inertEnv } from './inert-env.ts'

type Loader = () => Promise<{ name: string; machine: (env: ActorEnv) => AnyStateMachine }>

/** Name -> definition, in the order charts are listed. */
const CATALOG: ReadonlyArray<readonly [string, Loader]> = [
  ['swim', async () => (await import('../../actors/swim/definition.ts')).swim],
  ['gossip-queue', async () => (await import('../../actors/gossip-queue/definition.ts')).gossipQueue],
  ['member-manager', async () => (await import('../../actors/member-manager/definition.ts')).memberManager],
  ['serf-events', async () => (await import('../../actors/serf-events/definition.ts')).serfEvents],
  ['snapshotter', async () => (await import('../../actors/snapshotter/definition.ts')).snapshotter],
  ['partition-detector', async () => (await import('../../actors/partition-detector/definition.ts')).partitionDetector],
  ['election', async () => (await import('../../actors/election/definition.ts')).election],
  ['assignment', async () => (await import('../../actors/assignment/definition.ts')).assignment],
]

export function knownActors(): string[] {
  return CATALOG.map(([name]) => name)
}

/** Thrown for an actor name the catalog does not hold; `details.known` lists the names it does. */
export class UnknownChartActorError extends ClusterError {
  static override name = 'UnknownChartActorError'
  constructor(name: string) {
    super('ERR_CHARTS_UNKNOWN_ACTOR', `no actor named "${name}"; known actors: ${knownActors().join(', ')}`, { details: { actor: name, known: knownActors() } })
  }
}

/** The machine of the actor `name`, built for reading only. */
export async function loadMachine(name: string): Promise<AnyStateMachine> {
  const entry = CATALOG.find(([n]) => n === name)
  if (entry === undefined) throw new UnknownChartActorError(name)
  return machineOf(await entry[1]())
}

/** Builds a definition's machine with the inert env; a factory that throws is ERR_CHARTS_MACHINE. */
export function machineOf(def: { name: string; machine: (env: ActorEnv) => AnyStateMachine }): AnyStateMachine {
  try {
    return def.machine(inertEnv(def.name))
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new ClusterError('ERR_CHARTS_MACHINE', `cannot build the machine of ${def.name} to draw it: ${message}`, { cause: err, details: { actor: def.name } })
  }
}

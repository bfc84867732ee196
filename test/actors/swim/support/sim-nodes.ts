/**
 * swim nodes on one simulated clock and one MemoryNetwork, each an inline swim actor in its own
 * ActorSystem (swim alone: its asks to gossip-queue and member-manager fail at once and are
 * counted). For tests of joins, restarts and stream limits through the real actor and runtime.
 */
import { ActorSystem } from '../../../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../../../src/runtime/simulated-clock.ts'
import type { SnapshotStore, SupervisionOptions } from '../../../../src/runtime/options.ts'
import { MemoryNetwork } from '../../../../src/transport/memory-network.ts'
import { createSeededRandom } from '../../../../src/types/random.ts'
import { swim } from '../../../../actors/swim/definition.ts'
import type { SwimContext, SwimInput } from '../../../../actors/swim/machine.ts'
import { swimIo } from '../../../../actors/swim/io/swim-io.ts'
import type { SwimTransportOpener } from '../../../../actors/swim/io/swim-io.ts'
import type { RefOf } from './worker-cluster.ts'

export type SwimRef = RefOf<typeof swim>

export interface SpawnOptions {
  open?: SwimTransportOpener
  supervision?: Partial<SupervisionOptions>
  /** Where swim's persisted snapshots go (a spawn restores from a record already there). */
  snapshotStore?: SnapshotStore
}

export interface SimNodes {
  clock: SimulatedClock
  net: MemoryNetwork
  /** Spawns swim as `name` at 10.0.0.<i>:7946 (test preset unless the input says otherwise). */
  spawn(name: string, i: number, input?: Partial<SwimInput>, options?: SpawnOptions): Promise<SwimRef>
  /** Shuts down the system of `ref` (its transport closes, as a dead thread's sockets do). */
  stop(ref: SwimRef): Promise<void>
  /** The context, after letting the clock run `ms` first. */
  context(ref: SwimRef, ms?: number): Promise<SwimContext>
  close(): Promise<void>
}

export function simNodes(seed = 1): SimNodes {
  const clock = new SimulatedClock()
  const net = new MemoryNetwork({ clock, random: createSeededRandom(seed), defaultLink: { latencyMs: 1 } })
  const systems: ActorSystem[] = []
  const systemOf = new Map<SwimRef, ActorSystem>()
  return {
    clock,
    net,
    async spawn(name, i, input = {}, options = {}) {
      const system = await ActorSystem.start({
        node: name,
        seed: seed * 100 + i,
        logLevel: 'silent',
        clock,
        ...(options.supervision === undefined ? {} : { supervision: options.supervision }),
        ...(options.snapshotStore === undefined ? {} : { snapshotStore: options.snapshotStore }),
      })
      systems.push(system)
      const open: SwimTransportOpener = options.open ?? ((at, limits) => net.createTransport(at, limits))
      const ref = await system.spawn(swim, {
        id: 'swim',
        placement: 'inline',
        input: { name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, preset: 'test', ...input },
        ...swimIo(open),
      })
      systemOf.set(ref, system)
      return ref
    },
    async stop(ref) {
      const system = systemOf.get(ref)
      if (system === undefined) return
      systems.splice(systems.indexOf(system), 1)
      await system.shutdown({ drainTimeoutMs: 1_000 })
    },
    async context(ref, ms = 0) {
      if (ms > 0) await clock.advance(ms)
      return (await ref.getSnapshot()).context
    },
    async close() {
      for (const s of systems.splice(0)) await s.shutdown({ drainTimeoutMs: 1_000 })
    },
  }
}

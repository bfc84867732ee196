/**
 * The live page of a whole node (createNode's `inspect`): the system's actors and inspection, the
 * node's member table, and each actor's own counters from `node.stats()`.
 */
import type { ActorSystem } from '../../runtime/actor-system.ts'
import type { GossamerNode } from '../../node/api.ts'
import type { LiveConfig } from './live-config.ts'
import { LiveServer, type LiveServerDeps } from './live-server.ts'
import { systemSource } from './live-source.ts'

export function startNodeLivePage(node: Pick<GossamerNode, 'name' | 'address' | 'stats' | 'members'>, system: ActorSystem, config: LiveConfig, deps: LiveServerDeps = {}): Promise<LiveServer> {
  const source = systemSource(system, {
    node: node.name,
    address: node.address,
    counters: async () => {
      const stats = await node.stats()
      return Object.fromEntries(Object.entries(stats.actors).map(([id, a]) => [id, a.counters]))
    },
    members: () => node.members(),
  })
  return LiveServer.start(source, config, deps)
}

/**
 * The agent's worker registrations (`-assign GROUP=PARTITIONS[:WEIGHT]`): one node.assignments()
 * stream per group for the agent's life, the latest assignment of each kept for the RPC command
 * `gossamer-assignments` and logged as it changes (`agent.assign`).
 */
import type { GossamerNode, MyAssignment } from '../node/api.ts'
import type { AgentAssign } from './config/coordination.ts'
import type { AgentLog } from './logs/agent-log.ts'

export interface AgentWorkers {
  lookup(group: string): { registered: boolean; current: MyAssignment | undefined }
  /** Resolves once every stream ended (the signal fired or the node stopped). */
  readonly done: Promise<void>
}

export function startAgentWorkers(node: GossamerNode, assign: readonly AgentAssign[], signal: AbortSignal, log: AgentLog): AgentWorkers {
  const latest = new Map<string, MyAssignment | undefined>()
  const runs = assign.map(async (a) => {
    latest.set(a.group, undefined)
    try {
      for await (const m of node.assignments(a.group, { partitions: a.partitions, weight: a.weight, signal })) {
        latest.set(a.group, m)
        log.info('agent.assign', `group ${m.group}: version ${m.version} term ${m.term} from ${m.leader}: ${m.partitions.length} of ${m.totalPartitions} partitions`)
      }
    } catch (err) {
      log.err('agent.assign', `group ${a.group}: ${(err as Error).message}`)
    }
  })
  return {
    lookup: (group) => ({ registered: latest.has(group), current: latest.get(group) }),
    done: Promise.all(runs).then(() => undefined),
  }
}

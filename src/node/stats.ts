/**
 * `stats()`: Serf's figures (serf-rpc.md §2.5) from the actors' own stats, and each actor's runtime
 * figures (mailbox depth, restarts, overflows) from the system's inspection, plus the facade's.
 */
import type { ActorStats } from '../runtime/types.ts'
import type { NodeFacadeStats, NodeStats } from './api.ts'
import type { MemberStatsReply } from '../../actors/member-manager/protocol.ts'
import type { StatsReply as GossipStatsReply } from '../../actors/gossip-queue/protocol.ts'
import type { SwimContext } from './compose.ts'

export interface StatsSources {
  name: string
  tags: Record<string, string>
  member: MemberStatsReply
  gossip: GossipStatsReply
  swim: SwimContext
  /** Snapshotter's stats when it runs. */
  snapshotter: Record<string, unknown> | undefined
  system: ActorStats[]
  clocks: { eventTime: bigint; queryTime: bigint } | undefined
  node: NodeFacadeStats
}

/** swim's figures: its core counters and the runner's own (joins, refusals, streams). */
function swimCounters(c: SwimContext): Record<string, unknown> {
  return {
    ...c.counters,
    healthScore: c.healthScore,
    numNodes: c.numNodes,
    incarnation: c.incarnation,
    refused: c.refused,
    heldOverflow: c.heldOverflow,
    undelivered: c.undelivered,
    joinFailures: c.joinFailures,
    joinRetriesExhausted: c.joinRetriesExhausted,
    lastJoinError: c.lastJoinError,
    localStateFailures: c.localStateFailures,
    localMetaFailures: c.localMetaFailures,
    streams: c.streams,
  }
}

export function buildNodeStats(s: StatsSources): NodeStats {
  const queues = s.gossip.queues
  const { type: _m, ...memberCounters } = s.member
  const counters: Record<string, Record<string, unknown>> = {
    swim: swimCounters(s.swim),
    'member-manager': memberCounters,
    'gossip-queue': { ...queues },
  }
  if (s.snapshotter !== undefined) counters['snapshotter'] = s.snapshotter
  const actors: NodeStats['actors'] = {}
  for (const a of s.system) {
    actors[a.id] = { mailboxDepth: a.queued, restarts: a.restarts, overflows: a.dropped + a.rejected, counters: counters[a.id] ?? {} }
  }
  const resets = (s.swim.counters as unknown as Record<string, unknown>)['coordinateResets']
  return {
    name: s.name,
    serf: {
      // Serf's `members` counts every member it holds, failed and left ones included.
      members: s.member.counts.total,
      failed: s.member.counts.failed,
      left: s.member.counts.left,
      healthScore: s.swim.healthScore,
      memberTime: s.member.memberTime,
      // Without the event layer no user event or query was ever sent or received: the clocks are at their start.
      eventTime: s.clocks?.eventTime ?? 0n,
      queryTime: s.clocks?.queryTime ?? 0n,
      intentQueue: queues['serf-intent'].depth,
      eventQueue: queues['serf-event'].depth,
      queryQueue: queues['serf-query'].depth,
      encrypted: s.swim.config.keyring !== null,
      coordinateResets: typeof resets === 'number' ? resets : 0,
    },
    tags: { ...s.tags },
    actors,
    node: s.node,
  }
}

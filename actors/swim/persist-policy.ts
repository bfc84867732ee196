/**
 * When swim persists its context (the runtime's `persist.throttleMs` and `persist.urgentKey`, see
 * src/runtime/options.ts). Pure: field reads only.
 *
 * A running swim has a turn every few hundred ms even when the cluster is idle (the gossip tick
 * every 200 ms on LAN, the probe tick every second), and an idle gossip tick still changes the
 * context (counters.gossipEmpty). Persisting after each of those turns (a deep copy of the context,
 * an equality walk, and in a worker a post to the system thread) was about a fifth of an idle
 * node's JavaScript time. So: what a restart needs persists in the turn that changed it, and the
 * rest (the core's counters, health score, stream figures, the lease's counters) at most once per
 * SWIM_PERSIST_THROTTLE_MS. A crash may then lose up to that much counting, never the node's address,
 * incarnation, keyring, lifecycle state, members to rejoin or join and lease bookkeeping.
 */
import type { SwimContext } from './swim-context.ts'

/**
 * Counters and figures persist at most this often (ms). The probe tick (1 s on LAN and WAN, 500 ms
 * on local) brings the next turn, so a throttled change waits at most about this long.
 */
export const SWIM_PERSIST_THROTTLE_MS = 1000

/**
 * What a restart of swim needs, one element per fact: a turn after which any differs (Object.is)
 * from the last record's persists at once. Arrays and objects are compared by reference: the
 * machine builds a new one only when it changes (knownPeers, knownMeta, liveKeys, errors).
 */
export function swimUrgentKey(snapshot: { value: unknown; context: never }): readonly unknown[] {
  const c = snapshot.context as SwimContext
  const lease = c.lease
  const retry = c.joinRetry
  return [
    snapshot.value,
    // Where the node is bound and what it advertises: a restart binds there again.
    c.bound,
    c.advertisedPort,
    c.address,
    c.bindError,
    c.configError,
    // A restarted node starts above this incarnation, with this ring and this Meta.
    c.incarnation,
    c.liveKeys,
    c.keyringChanges,
    c.knownMeta,
    // Whom to rejoin, and where the join stands.
    c.knownPeers,
    c.numNodes,
    retry.status,
    retry.attempts,
    retry.nextAttemptAtMs,
    c.retryJitter,
    c.lastJoinError,
    c.held.length,
    c.restores,
    // The lease's numbering: a restore numbers its reports on from it and replays what it sent.
    lease.epoch,
    lease.version,
    lease.lastReport,
    lease.pending.length,
    lease.unapplied.length,
  ]
}

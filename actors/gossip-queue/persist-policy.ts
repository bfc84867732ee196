/**
 * When gossip-queue persists its context (the runtime's `persist.throttleMs` and
 * `persist.urgentKey`, see src/runtime/persist-options.ts). Pure: field reads only.
 *
 * Before, every turn with a change persisted (throttleMs 0): XState's walk over the context, a
 * detached copy and, in a worker, a post to the system thread, about a quarter of the actor's thread
 * in a join burst. Most of those turns are `gossip.sent` reports and fills that only count transmits
 * (the queued broadcasts themselves are never persisted, see transmit-queue.ts). So: what a restart
 * needs persists in the turn that changed it, and the counters at most once per
 * GOSSIP_PERSIST_THROTTLE_MS.
 *
 * What a restart needs (core.ts dropRestoredQueues, queues.ts abandonQueues):
 * - the cluster size per source and the lease subscriber, which nobody sends again;
 * - how many broadcasts were queued, to count them in `lostOnRestart`: each queue's size;
 * - every waiter of a queued broadcast, to tell it 'pruned' once, and no waiter already told. A turn
 *   without an enqueue only removes waiters, so a waiter count that did not change means the same
 *   waiters; a turn with an enqueue moves `lease.nextEntry` (every enqueue takes an entry id), so
 *   it persists at once whatever the counts;
 * - the counts of what was dropped (undelivered notifications, earlier losses), and the restart
 *   numbering (a restore draws a new lease epoch).
 * A crash may then lose up to a window of counting (transmits, finished, the lease's report
 * counters), never a size, a subscriber, a waiter or a count of a loss.
 */
import { GOSSIP_QUEUE_NAMES } from './protocol.ts'
import type { GossipQueueState } from './state.ts'

/**
 * Counters persist at most this often (ms). The next turn brings a pending persist: swim's report
 * of what it sent (each gossip tick that piggybacked something) or the queue check.
 */
export const GOSSIP_PERSIST_THROTTLE_MS = 1000

/** What a restart of gossip-queue needs, one element per fact (compared with Object.is). */
export function gossipUrgentKey(snapshot: { value: unknown; context: never }): readonly unknown[] {
  const c = snapshot.context as GossipQueueState
  const key: unknown[] = [
    snapshot.value,
    c.clusterSizes.memberlist,
    c.clusterSizes.serf,
    c.lease.subscriber,
    c.lease.epoch,
    c.lease.nextEntry,
    c.undeliveredNotifications,
    c.restarts,
    c.lostOnRestart,
    c.restartsUncounted,
  ]
  for (const name of GOSSIP_QUEUE_NAMES) {
    const q = c.queues[name]
    let waiters = 0
    for (const _ in q.waiting) waiters++
    key.push(q.items.size, waiters)
  }
  return key
}

/**
 * swim's counters kept by its runner (swim-runner.ts) outside the node: what the actor did around
 * the core (messages that found no receiver, failed asks, refused streams, joins, Serf and Gossamer
 * routing). Plain numbers in the swim context; they survive a restart in place and, persisted, a
 * restart in a new thread.
 */
import { NO_GOSSAMER_COUNTS } from './gossamer-route.ts'
import type { GossamerCounts } from './gossamer-route.ts'
import type { StreamGateCounts } from './stream-gate.ts'

/** swim's counters kept outside the node, so they survive a restart in place. */
export interface RunnerCounts extends GossamerCounts, StreamGateCounts {
  /**
   * Messages to peers that found no receiver (unknown, stopped or rejected): not retried. The member
   * feed and the cluster size are sent again when refused by a full mailbox, so only their messages
   * to an unknown or stopped peer count here.
   */
  undelivered: number
  /** `member.local-state` asks that failed or timed out: the push/pull went with empty user state. */
  localStateFailures: number
  /** `member.local-meta` asks at start that failed or timed out: started with the Meta known before. */
  localMetaFailures: number
  /** Messages or streams no node could handle (while binding, starting or failed). */
  refused: number
  /**
   * `gossip.lease-subscribe` tells sent: one at every start, and one per room-report window while
   * no lease has come (gossip-queue was not there yet, or lost the subscriber).
   */
  leaseSubscribes: number
  /** Joins (the input's, `swim.join`, retry-join attempts, rejoins) that reached no one; the last in the context's lastJoinError. */
  joinFailures: number
  /** Retried joins that gave up after 1 + config.retryJoinMax attempts (joinRetry.lastError says why). */
  joinRetriesExhausted: number
  /** Serf messages (user event, query, response, relay) handed to the serfEvents peer as `serf.message`; 0 while it is not set. */
  serfMessagesRouted: number
  /** `swim.keyring` operations that changed the ring. */
  keyringChanges: number
  /** `swim.keyring` operations refused (coded reply: no keyring, key size, unknown key, the primary). */
  keyringRefused: number
}

/** Every runner count at zero. */
export function newRunnerCounts(): RunnerCounts {
  return { undelivered: 0, leaseSubscribes: 0, localStateFailures: 0, localMetaFailures: 0, refused: 0, joinFailures: 0, joinRetriesExhausted: 0, serfMessagesRouted: 0, keyringChanges: 0, keyringRefused: 0, streamEventsRefused: 0, streamEventsUnknown: 0, streamEventsAfterStop: 0, streamQueueOverflows: 0, ...NO_GOSSAMER_COUNTS }
}

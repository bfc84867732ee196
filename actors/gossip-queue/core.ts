/**
 * The gossip-queue core: the four broadcast queues of one node (memberlist's and Serf's intent,
 * query and event queues, spec §4.9-4.10), the composition of one packet from them, and the
 * piggyback lease that lets swim fill packets without asking. Pure: `step(state, input)` returns the
 * next state and the effects for the machine to run (tell a waiter, reply, push a lease, log).
 *
 * The state is the machine's context. How it is carried from turn to turn: the top level (sizes,
 * counters, lease bookkeeping) is a new object per step; the queues are owned and updated in place
 * (transmit-queue.ts), shared by the old and the new top level. Copying the tiers (up to
 * hardMaxDepth items each, with their Uint8Arrays) on every fill would cost more than the fill, and
 * nothing holds an old state. What is persisted is a projection, by construction: the broadcasts
 * and their indexes are non-enumerable fields of each queue, so the runtime's persisted copy (and
 * XState's) keep only sizes, counters and waiters. Measured in bench/gossip-queue.bench.ts
 * ("actor ... deep-1000": the per-turn persisting cost with 1,000 broadcasts queued).
 *
 * The parts: state.ts (the state, inputs, effects), queues.ts (the queues), lease.ts (the lease
 * built and the reports applied), transmit-queue.ts (one queue).
 */
import { GOSSIP_QUEUE_NAMES } from './protocol.ts'
import type { GossipCoreInput, GossipEffect, GossipQueueState, StepResult } from './state.ts'
import { emptyQueues, leaseChanged } from './state.ts'
import { abandonQueues, checkQueues, checkWarnings, enqueueBroadcast, fillPacket, resetQueues, setClusterSize, statsOf } from './queues.ts'
import { applyReport } from './lease.ts'
import { isLive } from './transmit-queue.ts'

/** One input: the next state (a new top level; the queues updated in place) and the effects to run. */
export function step(state: GossipQueueState, input: GossipCoreInput): StepResult {
  // A read: the same state back (the machine then assigns nothing, and nothing is persisted).
  if (input.type === 'gossip.stats' && GOSSIP_QUEUE_NAMES.every((q) => isLive(state.queues[q]?.items))) {
    return { state, effects: [{ type: 'reply', to: input.replyTo, msg: { type: 'gossip.stats-reply', queues: statsOf(state) } }] }
  }
  const next: GossipQueueState = { ...state, lease: { ...state.lease, stats: { ...state.lease.stats } } }
  const effects: GossipEffect[] = []
  if (input.type !== 'restored' && !GOSSIP_QUEUE_NAMES.every((q) => isLive(next.queues[q]?.items))) {
    // A restored copy (its broadcasts are not persisted) that gets a message before
    // `runtime.restored`: its queues are replaced now, counted as a restore counts them.
    dropRestoredQueues(state, next, effects, state.restarts)
  }
  switch (input.type) {
    case 'gossip.enqueue':
      enqueueBroadcast(next, input.broadcast, effects)
      break
    case 'gossip.cluster-size':
      setClusterSize(next, input.source, input.numNodes, effects)
      break
    case 'gossip.fill': {
      const { parts, usedBytes } = fillPacket(next, input.overheadBytes, input.limitBytes, input.queues ?? GOSSIP_QUEUE_NAMES, effects)
      effects.push({ type: 'reply', to: input.replyTo, msg: { type: 'gossip.filled', parts, usedBytes } })
      break
    }
    case 'gossip.stats':
      effects.push({ type: 'reply', to: input.replyTo, msg: { type: 'gossip.stats-reply', queues: statsOf(next) } })
      break
    case 'gossip.reset':
    case 'shutdown':
      resetQueues(next, effects)
      break
    case 'gossip.lease-subscribe':
      next.lease.subscriber = input.to
      leaseChanged(next, effects)
      break
    case 'gossip.sent':
      applyReport(next, input, effects)
      break
    case 'queue-check':
      checkWarnings(checkQueues(next, effects), effects)
      next.lastCheckAt = input.now
      break
    case 'restored':
      dropRestoredQueues(state, next, effects, input.restarts)
      next.restarts = input.restarts
      next.lease = { ...next.lease, epoch: input.epoch, nextEntry: 0, version: 0, appliedReport: 0 }
      leaseChanged(next, effects)
      break
  }
  return { state: next, effects }
}

/**
 * The queues a restore comes back with are the last persisted turn's, without their broadcasts
 * (soft state: their owners re-gossip). They are counted and their waiters told; the queues start
 * empty. The sizes and the subscriber stay.
 */
function dropRestoredQueues(state: GossipQueueState, next: GossipQueueState, effects: GossipEffect[], restarts: number): void {
  const lost = abandonQueues(state.queues, effects)
  if (lost !== undefined && lost > 0) effects.push({ type: 'warn', obj: { lost, restarts }, msg: 'gossip queues lost their broadcasts in a restart' })
  if (lost === undefined) effects.push({ type: 'warn', obj: { restarts }, msg: 'gossip queues restarted: the restored queues could not be read, lost broadcasts not counted' })
  next.queues = emptyQueues()
  next.lostOnRestart += lost ?? 0
  next.restartsUncounted += lost === undefined ? 1 : 0
}

/**
 * Runs a member-manager core step's effects (the machine's `turn`): tells by id to the peers the
 * context names (their delivery counted), gossip enqueues, Serf's member count to gossip-queue
 * (the latest once per turn), member events logged and collected for `emit`, prune timers and
 * the request's refusal collected for the machine to assign. I/O helpers only: the state stays
 * in the machine's context.
 */
import type { ActorEnv, Message } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { createLatestTell } from '../../src/types/latest-tell.ts'
import type { GossipQueueInbound } from '../gossip-queue/protocol.ts'
import type { MemberManagerEmitted } from './protocol.ts'
import { step } from './core.ts'
import { memberEventLines } from './event-log.ts'
import type { MemberCoreInput } from './member-effects.ts'
import type { MemberManagerContext } from './machine-context.ts'

export function createEffectRunner(env: ActorEnv) {
  /** Tells `to`; false when nobody took the message (the caller counts it). */
  const deliver = (to: string | undefined, msg: Message): boolean => {
    if (to === undefined) return true
    const status = env.send(actorAddress<Message>(to), msg)
    return !(status === 'unknown' || status === 'stopped' || status === 'rejected')
  }
  // Serf's member count goes to gossip-queue once per turn, the latest, sent again if refused (an
  // I/O helper: it holds at most the one value waiting for its microtask, no protocol state). Its
  // own undelivered count is added to the context's in `member.stats`.
  let gossipQueueId = 'gossip-queue'
  const clusterSize = createLatestTell<GossipQueueInbound>(env, () => gossipQueueId)

  /**
   * Runs a core step's effects and says what to assign: sends happen now (their delivery counted),
   * member events are emitted, prune timers raised. Returns the request's refusal, if any.
   */
  const applyStep = (context: MemberManagerContext, input: MemberCoreInput) => {
    const { state, effects } = step(context.core, input)
    const peers = context.peers
    gossipQueueId = peers.gossipQueue
    const emitted: MemberManagerEmitted[] = []
    const prunes: Array<{ name: string; delayMs: number }> = []
    let undelivered = 0
    let refused: Error | undefined
    let awaiting: string | undefined
    const tell = (to: string | undefined, msg: Message): void => {
      if (!deliver(to, msg)) undelivered++
    }
    for (const e of effects) {
      switch (e.type) {
        case 'tell-swim':
          tell(peers.swim, e.msg)
          break
        case 'event':
          if (e.msg.type === 'member.conflict') {
            // Serf logs a conflict about another node as a warning and one about us as an error.
            const fields = { code: e.msg.warning.code, node: e.msg.name, local: e.msg.local }
            if (e.msg.local) env.log.error(fields, e.msg.warning.message)
            else env.log.warn(fields, e.msg.warning.message)
          }
          if (e.msg.type === 'member.event') for (const line of memberEventLines(e.msg)) env.log.info({ subsystem: 'serf' }, line)
          emitted.push(e.msg)
          tell(peers.events, e.msg)
          if (e.msg.type === 'member.event' && peers.serfEvents !== peers.events) tell(peers.serfEvents, e.msg)
          break
        case 'serf-events':
          tell(peers.serfEvents, e.msg)
          break
        case 'broadcast': {
          const msg: GossipQueueInbound = { type: 'gossip.enqueue', broadcast: e.broadcast }
          tell(peers.gossipQueue, msg)
          break
        }
        case 'cluster-size':
          clusterSize.set({ type: 'gossip.cluster-size', source: 'serf', numNodes: e.numMembers })
          break
        case 'snapshot':
          tell(peers.snapshotter, e.msg)
          break
        case 'schedule-prune':
          prunes.push({ name: e.name, delayMs: e.delayMs })
          break
        case 'rejected':
          refused = e.error
          break
        case 'await-broadcast':
          awaiting = e.id
          break
        default: {
          const unknown: never = e
          return unknown
        }
      }
    }
    return { state, emitted, prunes, undelivered, refused, awaiting }
  }

  return { deliver, applyStep, clusterSize }
}

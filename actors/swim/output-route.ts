/**
 * Where swim's outputs go (the core's `output` effects, SwimOutput): node changes to member-manager
 * through the ordered member feed, user messages to their receiver (Gossamer's channels, Serf's
 * event layer, else member-manager), join outcomes to member-manager, the asker and the machine's
 * join tracking, conflicts and our leave to member-manager, the cluster size to gossip-queue;
 * suspicions of our own, deaths we declare and refutations become memberlist's log lines.
 * Made once per runner (swim-runner.ts) from the narrow parts it needs; pure like the runner.
 */
import type { ActorEnv, Message, ReplyTo } from '../../src/types/actor-env.ts'
import type { JoinCompletedMsg, MemberManagerInbound } from '../member-manager/protocol.ts'
import type { GossipQueueInbound } from '../gossip-queue/protocol.ts'
import { SERF_EVENTS_MESSAGE_TYPES } from '../serf-events/protocol.ts'
import type { SerfMessageMsg } from '../serf-events/protocol.ts'
import type { SwimOutput } from './effects.ts'
import type { NodeRecord } from './node-table.ts'
import type { JoinReply, SwimPeers } from './protocol.ts'
import type { JoinPurpose, JoinResultMsg } from './join-retry.ts'
import { isGossamerPayload, routeGossamer } from './gossamer-route.ts'
import type { RunnerCounts } from './runner-counts.ts'
import type { SwimCore } from './swim-core.ts'

/** A member as member-manager's messages carry it. */
export const memberInfo = (n: NodeRecord) => ({ name: n.name, addr: n.addr, port: n.port, meta: n.meta, vsn: n.vsn, incarnation: n.incarnation, state: n.state })

export interface RouteDeps {
  env: Pick<ActorEnv, 'id' | 'log' | 'reply'>
  peers: SwimPeers
  counts: RunnerCounts
  deliver(to: string, msg: Message): void
  /** To member-manager, in order, through the member feed. */
  toMember(msg: MemberManagerInbound): void
  /** A node change into the member feed. */
  nodeChanged(kind: 'joined' | 'updated' | 'left', n: NodeRecord): void
  /** The cluster size, the latest value once per turn. */
  clusterSize(msg: GossipQueueInbound): void
  /** Asked joins whose reply member-manager gives (JoinMsg.replyAfterMembers), until their join completes. */
  viaMembers: Set<ReplyTo<JoinReply>>
  /** Whether core `from` is still the runner's running one. */
  isCurrent(from: SwimCore): boolean
}

/** memberlist's WARN line when it answers a rumour about itself. */
export function refutationLine(refutes: Extract<SwimOutput, { type: 'refuted' }>['refutes']): string {
  switch (refutes?.message) {
    case 'suspect':
      return `Refuting a suspect message (from: ${refutes.from ?? ''})`
    case 'dead':
      return `Refuting a dead message (from: ${refutes.from ?? ''})`
    case 'alive':
      return 'Refuting an alive message for ourselves'
    default:
      return 'Refuting a message about ourselves'
  }
}

/** `route(out, from)`: `from` is the core that decided it (a core stopped at a restart no longer reports its joins to the machine). */
export function createOutputRouter(d: RouteDeps): (out: SwimOutput, from: SwimCore) => void {
  const { env, peers, counts } = d
  return (out, from) => {
    switch (out.type) {
      case 'node-joined':
        return d.nodeChanged('joined', out.node)
      case 'node-updated':
        return d.nodeChanged('updated', out.node)
      case 'node-left':
        return d.nodeChanged('left', out.node)
      case 'user-message': {
        // Gossamer's own messages go to their channel's receiver only (gossamer-route.ts).
        if (isGossamerPayload(out.bytes)) {
          const r = routeGossamer(out.bytes, out.from, from.nameAt(out.from), peers.gossamer)
          if ('drop' in r) {
            counts[r.drop]++
            return
          }
          counts.gossamerReceived++
          return d.deliver(r.to, r.msg)
        }
        // Serf's user events, queries, responses and relays go to serf-events when it is there,
        // each copy as it came (its dedupe is serf-events' business); the rest (intents) as before.
        if (peers.serfEvents !== undefined && out.bytes.length > 0 && SERF_EVENTS_MESSAGE_TYPES.has(out.bytes[0]!)) {
          counts.serfMessagesRouted++
          const msg: SerfMessageMsg = { type: 'serf.message', bytes: out.bytes, from: out.from }
          return d.deliver(peers.serfEvents, msg)
        }
        return d.toMember({ type: 'member.user-message', bytes: out.bytes })
      }
      case 'join-completed': {
        const failures = out.failures ?? []
        // memberlist logs each address it could not join at WARN ("Failed to join ...").
        for (const f of failures) env.log.warn({ code: f.code, address: f.address }, f.message)
        const done: JoinCompletedMsg = { type: 'member.join-completed', numJoined: out.numJoined, ...(out.reconnect === true ? { reconnect: true } : {}), ...(failures.length > 0 ? { errors: failures } : {}) }
        // An asked join gets its own outcome, even from a core that stopped meanwhile (it is still
        // what happened): from member-manager after the join's node changes when the asker wants
        // the members in its list (JoinMsg.replyAfterMembers), else from here.
        const forward = out.replyTo !== undefined && d.viaMembers.delete(out.replyTo)
        d.toMember(forward ? { ...done, replyTo: out.replyTo } : done)
        if (out.replyTo !== undefined && !forward) env.reply(out.replyTo, { type: 'swim.join-reply', numJoined: out.numJoined, errors: failures } satisfies JoinReply)
        // A join the machine tracks (runner.join): its result goes back to it, unless the core stopped meanwhile.
        if (out.purpose !== undefined && d.isCurrent(from)) {
          const msg: JoinResultMsg = { type: 'swim.join-result', purpose: out.purpose as JoinPurpose, addresses: out.addresses ?? [], numJoined: out.numJoined, errors: out.errors }
          d.deliver(env.id, msg)
        }
        return
      }
      case 'conflict':
        // memberlist's NotifyConflict: member-manager reports it (and later resolves it by query).
        return d.toMember({ type: 'member.name-conflict', existing: memberInfo(out.existing), other: { addr: out.other.addr, port: out.other.port } })
      case 'left':
        d.deliver(env.id, { type: 'swim.left' })
        return d.toMember({ type: 'member.swim-left' })
      case 'cluster-size':
        return d.clusterSize({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: out.numNodes })
      case 'suspect':
        // memberlist's INFO line for a probe of ours that failed (the suspicions of others are news, not ours to report).
        if (out.cause === 'probe') env.log.info({ subsystem: 'memberlist', node: out.node }, `Suspect ${out.node} has failed, no acks received`)
        return
      case 'declared-dead':
        env.log.info({ subsystem: 'memberlist', node: out.node, confirmations: out.confirmations }, `Marking ${out.node} as failed, suspect timeout reached (${out.confirmations} peer confirmations)`)
        return
      case 'refuted':
        env.log.warn({ subsystem: 'memberlist', incarnation: out.incarnation }, refutationLine(out.refutes))
        return
    }
  }
}

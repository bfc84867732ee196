/**
 * Coordination in a node (issue 14): with `coordination` on, createNode spawns the
 * partition-detector, the election and the assignment actor after the membership actors, and wires
 * them: member-manager's `member.event` (a subscription in this thread) goes to all three (the
 * election only for the membership backend, whose leases count members), the detector's
 * `partition.changed` to the election (its `events` peer), the election's `election.changed` to
 * the assignment actor (its `events` peer), and swim's Gossamer messages to the election and the
 * assignment actor by channel (swim's `peers.gossamer`, compose.ts). The node advertises
 * GOSSAMER_TAG (config.ts), so only nodes running coordination are sent Gossamer messages.
 *
 * The election input follows the election's contract: `{ self, backend, nats?, peers: { events, swim } }`.
 */
import type { ActorSystem } from '../runtime/actor-system.ts'
import type { AnyStateMachine } from 'xstate'
import type { ActorDefinition } from '../runtime/define-actor.ts'
import { partitionDetector } from '../../actors/partition-detector/definition.ts'
import { GOSSAMER_TAG } from '../wire/gossamer-message.ts'
import { election } from '../../actors/election/definition.ts'
import { assignment } from '../../actors/assignment/definition.ts'
import type { AssignmentInput } from '../../actors/assignment/protocol.ts'
import type { MemberEventMsg } from '../../actors/member-manager/protocol.ts'
import { ACTOR_IDS, type NodeActors, type RefOf } from './compose.ts'
import type { NodeConfig } from './config.ts'
import type { CoordinationConfig } from './coordination-config.ts'

export const COORDINATION_IDS = { partitionDetector: 'partition-detector', election: 'election', assignment: 'assignment' } as const

export interface CoordinationActors {
  detector: RefOf<typeof partitionDetector>
  election: RefOf<typeof election>
  assignment: RefOf<typeof assignment>
  /** Ends the member-event forwarding. */
  unsubscribe: () => void
}

/** The election's input by its contract (the membership backend's fields are the election's defaults). */
export function electionInputOf(name: string, c: CoordinationConfig): Record<string, unknown> {
  return {
    self: name,
    backend: c.backend,
    ...(c.nats === undefined ? {} : { nats: { servers: c.nats.servers, bucket: c.nats.bucket, ttlMs: c.nats.leaseMs } }),
    peers: { events: COORDINATION_IDS.assignment, swim: ACTOR_IDS.swim },
  }
}

export function assignmentInputOf(name: string, c: CoordinationConfig): AssignmentInput {
  return {
    self: name,
    backend: c.backend,
    ...(c.nats === undefined ? {} : { nats: { servers: c.nats.servers, bucket: c.nats.assignmentBucket } }),
    calculator: { ...c.assignment },
    peers: { swim: ACTOR_IDS.swim, election: COORDINATION_IDS.election },
  }
}

/** The inline placement's implementations: the mark file, the election's backends, the assignment store. */
async function inlineIo() {
  const [{ provideMarkStore }, { markFileStore }, { provideElectionBackend }, { provideAssignmentStore }] = await Promise.all([
    import('../../actors/partition-detector/machine.ts'),
    import('../../actors/partition-detector/io/mark-file.ts'),
    import('../../actors/election/io/election-backend.ts'),
    import('../../actors/assignment/io/provide-store.ts'),
  ])
  return { markStore: provideMarkStore(markFileStore()), electionBackend: provideElectionBackend(), assignmentStore: provideAssignmentStore() }
}

/** Spawns the three actors and the forwarding; on a failure the caller shuts the system down. */
export async function spawnCoordination(system: ActorSystem, config: NodeConfig, actors: NodeActors): Promise<CoordinationActors> {
  const c = config.coordination!
  const inline = config.placement === 'inline'
  const placement = inline ? ('inline' as const) : ('worker' as const)
  // Inline, this thread hosts the actors' I/O (as their worker.ts would): loaded only then, so an
  // agent that never runs coordination inline never loads the NATS client (issue 13's RSS budget).
  const io = inline ? await inlineIo() : undefined
  const detector = await system.spawn(partitionDetector, {
    id: COORDINATION_IDS.partitionDetector,
    placement,
    input: {
      self: config.name,
      // Only members that can vote count toward the majority (serf agents in a mixed cluster never do).
      config: { expectedSize: c.expectedSize, countOnlyTag: GOSSAMER_TAG },
      // The expected-size mark lives beside the snapshot (a restart remembers the cluster's size).
      ...(config.snapshotPath === undefined ? {} : { statePath: `${config.snapshotPath}.expected-size` }),
      peers: { events: COORDINATION_IDS.election },
    },
    ...(io === undefined ? {} : { provide: io.markStore }),
  })
  const el = await system.spawn(election as unknown as ActorDefinition<AnyStateMachine>, {
    id: COORDINATION_IDS.election,
    placement,
    input: electionInputOf(config.name, c),
    dependsOn: [COORDINATION_IDS.partitionDetector],
    ...(io === undefined ? {} : { provide: io.electionBackend as never }),
  }) as unknown as RefOf<typeof election>
  const as = await system.spawn(assignment, {
    id: COORDINATION_IDS.assignment,
    placement,
    input: assignmentInputOf(config.name, c),
    dependsOn: [COORDINATION_IDS.election],
    ...(io === undefined ? {} : { provide: io.assignmentStore }),
  })
  const forward = (e: MemberEventMsg) => {
    detector.send(e)
    as.send(e)
    if (c.backend === 'membership') (el as unknown as { send(m: MemberEventMsg): void }).send(e)
  }
  const unsubscribe = actors.memberManager.on('member.event', (e) => forward(e as MemberEventMsg))
  await system.sync()
  // The members known before the subscription, as one join (a repeat of a known member changes nothing).
  const { members } = await actors.memberManager.ask({ type: 'member.members' })
  const alive = members.filter((m) => m.status === 'alive')
  if (alive.length > 0) forward({ type: 'member.event', event: 'member-join', members: alive })
  return { detector, election: el, assignment: as, unsubscribe }
}

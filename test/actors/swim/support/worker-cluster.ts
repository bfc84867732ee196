/**
 * Nodes for swim's worker-placement tests: each node an ActorSystem whose swim, gossip-queue and
 * member-manager run in their own worker threads, swim on a real UDP socket and TCP listener on
 * 127.0.0.1 with an ephemeral port. Real time, so every wait polls with a deadline (`until`); the
 * deadlines (WAIT_MS) only guard against a hang, so they are far above what a loaded machine needs.
 */
import { ActorSystem } from '../../../../src/runtime/actor-system.ts'
import type { ActorRef } from '../../../../src/runtime/types.ts'
import type { ActorDefinition } from '../../../../src/runtime/define-actor.ts'
import type { SupervisionOptions } from '../../../../src/runtime/options.ts'
import { swim } from '../../../../actors/swim/definition.ts'
import { createSwimConfig } from '../../../../actors/swim/config.ts'
import type { SwimInit } from '../../../../actors/swim/config.ts'
import { gossipQueue } from '../../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../../actors/member-manager/definition.ts'
import type { Member } from '../../../../actors/member-manager/protocol.ts'
import { gossipQueueConfigFor } from '../../../../actors/gossip-queue/config.ts'

/**
 * LAN preset with test-speed timers. The test preset's probe timeout (20 ms) is too tight here: nine
 * worker threads share two cores with the test runner, so a thread may wait tens of ms for a core
 * (a ping and its ack no longer wait for gossip-queue: they are filled from swim's lease). So:
 * probe every 200 ms with a 100 ms timeout, gossip every 50 ms; three nodes → suspicion minimum
 * 4 × 200 ms = 800 ms.
 */
export const SWIM_TIMERS: SwimInit = {
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 2_000,
  gossipToTheDeadTimeMs: 2_000,
  tcpTimeoutMs: 1_000,
}

/** Deadline of a wait for a node's state (bound, members seen), ms: seconds on a loaded machine. */
export const WAIT_MS = 30_000

/** The ref `spawn` returns for a definition. */
export type RefOf<D> = D extends ActorDefinition<infer M, infer TIn> ? ActorRef<M, TIn> : never

export interface WorkerNode {
  name: string
  system: ActorSystem
  swim: RefOf<typeof swim>
  /** Absent for a swim-only node. */
  mm: RefOf<typeof memberManager> | undefined
  gq: RefOf<typeof gossipQueue> | undefined
  /** "127.0.0.1:<bound port>" */
  address: string
}

export interface NodeOptions {
  join?: string[]
  /** swim's config over SWIM_TIMERS (e.g. `keys`). */
  swim?: SwimInit
  /** member-manager's initial tags. */
  tags?: Record<string, string>
  /** Only swim (its asks to the absent actors fail at once, counted): one thread instead of three. */
  swimOnly?: boolean
  /** swim's definition (default the real one; e.g. support/crashable-swim.ts). */
  definition?: typeof swim
  /** The system's supervision (e.g. a short restart backoff). */
  supervision?: Partial<SupervisionOptions>
}

/** Polls `check` until it returns a value other than undefined; fails with `what` at the deadline. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Starts a node; its system is pushed onto `running` so the test's afterEach shuts it down. */
export async function startNode(running: ActorSystem[], name: string, seed: number, options: NodeOptions = {}): Promise<WorkerNode> {
  const system = await ActorSystem.start({ node: name, seed, logLevel: 'silent', ...(options.supervision === undefined ? {} : { supervision: options.supervision }) })
  running.push(system)
  const swimInit: SwimInit = { ...SWIM_TIMERS, ...options.swim }
  let gq: WorkerNode['gq']
  let mm: WorkerNode['mm']
  if (options.swimOnly !== true) {
    const encrypted = swimInit.keys !== undefined && swimInit.keys !== null
    gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...createSwimConfig(swimInit, 'lan'), encrypted }) } })
    mm = await system.spawn(memberManager, {
      id: 'member-manager',
      placement: 'worker',
      input: { config: { nodeName: name, leavePropagateDelayMs: 200, ...(options.tags === undefined ? {} : { tags: options.tags }) } },
      dependsOn: ['gossip-queue'],
    })
  }
  const ref = await system.spawn(options.definition ?? swim, {
    id: 'swim',
    placement: 'worker',
    input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'lan', config: swimInit, join: options.join ?? [] },
    ...(options.swimOnly === true ? {} : { dependsOn: ['gossip-queue', 'member-manager'] }),
  })
  const address = await until(
    `${name} running`,
    async () => {
      const s = await ref.getSnapshot()
      if (s.value === 'failed') throw new Error(`${name} failed to bind: ${JSON.stringify(s.context.bindError)}`)
      return s.value === 'running' ? s.context.address : undefined
    },
    WAIT_MS,
  )
  return { name, system, swim: ref, mm, gq, address }
}

/** The node's member-manager view. */
export async function membersOf(n: WorkerNode): Promise<{ members: Member[]; alive: number }> {
  const r = await n.mm!.ask({ type: 'member.members' }, { timeoutMs: 2_000 })
  return { members: r.members, alive: r.counts.alive }
}

/** Waits (real time) until the node's member-manager counts `alive` members alive; its members then. */
export function aliveMembers(n: WorkerNode, alive: number, timeoutMs = WAIT_MS): Promise<Member[]> {
  return until(
    `${n.name} sees ${alive} members alive`,
    async () => {
      const r = await membersOf(n)
      return r.alive === alive ? r.members : undefined
    },
    timeoutMs,
  )
}

export const statusOf = async (n: WorkerNode, member: string): Promise<Member['status'] | undefined> =>
  (await membersOf(n)).members.find((m) => m.name === member)?.status

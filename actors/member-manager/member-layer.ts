/**
 * MemberLayer: the member-manager core (core.ts) behind ports, for code that drives Serf's member
 * layer directly rather than through the actor: the deterministic simulator (src/sim) and the swim
 * test nodes. It keeps one state, feeds each call to `step` with the time and randomness its
 * ports give, keeps the next state and runs the effects on the ports in order. The actor does
 * the same in its machine (machine.ts), with the state in the XState context.
 */
import type { RandomSource } from '../../src/types/random.ts'
import type { Broadcast } from '../gossip-queue/protocol.ts'
import type { SnapshotterIn } from '../snapshotter/protocol.ts'
import type { LamportTime, Member, MemberCounts, MemberManagerOutbound, MemberStatsReply, MemberStatus, NodeChange, NodeInfo } from './protocol.ts'
import type { SerfConfig } from './config.ts'
import type { LocalSerfState, MemberRecord } from './member-record.ts'
import type { NameConflictClaimant } from './name-conflict.ts'
import type { EventSlice, MemberCoreInput, MemberCoreState, MemberEffect } from './member-effects.ts'
import { initialCoreState, step } from './core.ts'
import { localMetaOf, localUserStateOf, memberRecord, membersOf, statsOf } from './member-reads.ts'
import { cowGet } from './cow-map.ts'
import type { NodeIntent } from './intents.ts'

export type { MemberLayerCounters } from './member-effects.ts'

export interface MemberLayerPorts {
  now(): number
  random: Pick<RandomSource, 'next' | 'int'>
  /** Outbound messages: member events, swim requests, pass-through Serf messages. */
  emit(msg: MemberManagerOutbound): void
  /** To gossip-queue: a Serf broadcast (intent queue for intents). */
  enqueue(broadcast: Broadcast): void
  /** To gossip-queue: Serf's member count (all statuses) changed. */
  clusterSize(numMembers: number): void
  /** To the snapshotter (spec §6). */
  snapshot(msg: SnapshotterIn): void
  /** Erase `name` after `delayMs` unless it came back (leave with Prune); the runner calls `pruneDue`. */
  schedulePrune(name: string, delayMs: number): void
}

/** Runs effects on ports, in order; returns the error of a refused request, if any. */
export function runOnPorts(effects: readonly MemberEffect[], ports: MemberLayerPorts): Error | undefined {
  let refused: Error | undefined
  for (const e of effects) {
    switch (e.type) {
      case 'tell-swim':
      case 'event':
      case 'serf-events':
        ports.emit(e.msg)
        break
      case 'broadcast':
        ports.enqueue(e.broadcast)
        break
      case 'cluster-size':
        ports.clusterSize(e.numMembers)
        break
      case 'snapshot':
        ports.snapshot(e.msg)
        break
      case 'schedule-prune':
        ports.schedulePrune(e.name, e.delayMs)
        break
      case 'rejected':
        refused = e.error
        break
      case 'await-broadcast':
        // The in-process layer answers at once; only the actor waits for gossip-queue's report.
        break
      default: {
        const unknown: never = e
        return unknown
      }
    }
  }
  return refused
}

export class MemberLayer {
  /** The current state (replaced, never changed, by each call that writes). */
  state: MemberCoreState

  constructor(
    readonly config: SerfConfig,
    private readonly ports: MemberLayerPorts,
    from?: MemberCoreState,
  ) {
    this.state = from ?? initialCoreState(config)
  }

  private run(input: MemberCoreInput): void {
    const { state, effects } = step(this.state, input)
    this.state = state
    const refused = runOnPorts(effects, this.ports)
    if (refused !== undefined) throw refused
  }

  get started(): boolean {
    return this.state.meta.started
  }

  /** The member clock's current value (read-only view). */
  get clock(): { time(): LamportTime } {
    const t = this.state.clock
    return { time: () => t }
  }

  /** serf-events' latest push/pull slice (`member.event-state`), carried in our LocalState. */
  eventState(slice: EventSlice): void {
    this.run({ type: 'event-state', ...slice })
  }

  /** Read-only views of the table and the intent buffer. */
  get table(): { get(name: string): Readonly<MemberRecord> | undefined; readonly size: number } {
    const s = this.state
    return { get: (name) => memberRecord(s, name), size: s.table.records.size }
  }

  get intents(): { entry(name: string): NodeIntent | undefined; readonly size: number } {
    const s = this.state
    return { entry: (name) => cowGet(s.intents.entries, name), size: s.intents.entries.size }
  }

  start(restored: { clock?: LamportTime } = {}): void {
    this.run({ type: 'start', restored })
  }

  get localState(): LocalSerfState {
    return this.state.table.localState
  }

  localMeta(): Uint8Array {
    return localMetaOf(this.state)
  }

  nodeJoined(node: NodeInfo): void {
    this.run({ type: 'node-joined', node, now: this.ports.now() })
  }

  nodeUpdated(node: NodeInfo): void {
    this.run({ type: 'node-updated', node, now: this.ports.now() })
  }

  nodeLeft(node: NodeInfo): void {
    this.run({ type: 'node-left', node, now: this.ports.now() })
  }

  nodeChanges(changes: readonly NodeChange[]): void {
    this.run({ type: 'nodes-changed', changes, now: this.ports.now() })
  }

  nameConflict(existing: NodeInfo, other: NameConflictClaimant): void {
    this.run({ type: 'name-conflict', existing, other })
  }

  userMessage(bytes: Uint8Array): void {
    this.run({ type: 'user-message', bytes, now: this.ports.now() })
  }

  localUserState(_join: boolean): Uint8Array {
    return localUserStateOf(this.state)
  }

  mergeRemoteState(bytes: Uint8Array, join: boolean): void {
    this.run({ type: 'merge-remote-state', bytes, join, now: this.ports.now() })
  }

  members(statuses?: readonly MemberStatus[]): { members: Member[]; counts: MemberCounts } {
    return membersOf(this.state, statuses)
  }

  /** Serf SetTags: throws TagsTooLargeError when the Meta is too large (nothing changes then). */
  setTags(tags: Record<string, string>): void {
    this.run({ type: 'set-tags', tags })
  }

  get localTags(): Readonly<Record<string, string>> {
    return this.state.meta.tags
  }

  joinCompleted(numJoined: number, reconnect = false): void {
    this.run({ type: 'join-completed', numJoined, reconnect, now: this.ports.now() })
  }

  beginLeave(notifyTo: string): { waitForBroadcast: boolean; notifyId: string } {
    this.run({ type: 'begin-leave', notifyTo, now: this.ports.now() })
    return { ...this.state.leave! }
  }

  finishLeave(): void {
    this.run({ type: 'finish-leave' })
  }

  shutdown(): void {
    this.run({ type: 'shutdown' })
  }

  reapTick(): void {
    this.run({ type: 'reap-tick', now: this.ports.now() })
  }

  reconnectTick(): void {
    this.run({ type: 'reconnect-tick', random: this.ports.random })
  }

  pruneDue(name: string): void {
    this.run({ type: 'prune-due', name, now: this.ports.now() })
  }

  stats(): Omit<MemberStatsReply, 'type'> {
    return statsOf(this.state)
  }
}

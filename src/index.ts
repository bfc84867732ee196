/**
 * Gossamer: cluster membership and coordination for Node.js. Every subsystem is an XState v5
 * actor in its own worker thread (or inline, for simulation), and the wire protocol is HashiCorp
 * memberlist/Serf's, so Gossamer nodes and real `serf agent`s form one cluster.
 *
 * This module is the public surface and the composition root: the actor runtime, the wire codec,
 * the actor definitions of a node, and the coded errors. `createNode(...)` starts a whole node;
 * the actors can still be composed by hand with `ActorSystem.spawn`.
 *
 * @packageDocumentation
 */
export * from './runtime/index.ts'
export { createNode } from './node/create-node.ts'
export type {
  BoundedStream, EventsOptions, ForceLeaveOptions, GossamerNode, JoinOptions, KeyOperations, KeyResponse, LogLine, Member, MemberEvent,
  MemberEventType, MemberFilter, MemberStatus, NodeEvent, NodeFacadeStats, NodeOptions, NodeStats, QueryEvent, QueryOptions, QueryResult,
  QueryStream, UserEvent, UserEventOptions,
} from './node/api.ts'
export * as wire from './wire/index.ts'
export { ClusterError, InvalidConfigError, toWireError, fromWireError, isWireError } from './errors/index.ts'
export type { WireError } from './errors/index.ts'

// The actors of a node. Other code imports only their definitions and protocols.
export { snapshotter } from '../actors/snapshotter/definition.ts'
export type * as SnapshotterProtocol from '../actors/snapshotter/protocol.ts'
export { gossipQueue } from '../actors/gossip-queue/definition.ts'
export type * as GossipQueueProtocol from '../actors/gossip-queue/protocol.ts'
export { memberManager } from '../actors/member-manager/definition.ts'
export type * as MemberManagerProtocol from '../actors/member-manager/protocol.ts'
export { swim } from '../actors/swim/definition.ts'
export type * as SwimProtocol from '../actors/swim/protocol.ts'
/** swim's transport for the inline placement (the simulator's memory network, or your own). */
export { swimIo } from '../actors/swim/io/swim-io.ts'
export type { SwimTransportOpener } from '../actors/swim/io/swim-io.ts'
export { createSwimConfig, SWIM_PRESETS } from '../actors/swim/config.ts'
export type { SwimConfig, SwimInit, SwimPreset } from '../actors/swim/config.ts'
export { createGossipQueueConfig, gossipQueueConfigFor } from '../actors/gossip-queue/config.ts'

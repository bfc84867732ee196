/**
 * Branded identifiers. A brand is a compile-time tag only: at run time these are plain strings and
 * numbers, so they survive structured clone, msgpackr and JSON unchanged.
 */
declare const brand: unique symbol

/** Tags `T` with the name `B` so two ids of the same primitive type cannot be mixed up. */
export type Brand<T, B extends string> = T & { readonly [brand]: B }

/** The id of an actor inside one actor system (unique per system, e.g. `'swim'`). */
export type ActorId = Brand<string, 'ActorId'>
/** A cluster member's name, as on the wire (memberlist `Node`). */
export type NodeId = Brand<string, 'NodeId'>
/** memberlist incarnation number of a node's alive claims. */
export type Incarnation = Brand<number, 'Incarnation'>
/** A probe or message sequence number. */
export type Seq = Brand<number, 'Seq'>
/** A leadership term (fencing token). */
export type Term = Brand<number, 'Term'>

export const actorId = (id: string): ActorId => id as ActorId
export const nodeId = (id: string): NodeId => id as NodeId
export const incarnation = (n: number): Incarnation => n as Incarnation
export const seq = (n: number): Seq => n as Seq
export const term = (n: number): Term => n as Term

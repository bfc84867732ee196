/**
 * memberlist's gossip messages as swim's pure logic sees them (decoded; spec §1.7). Field names
 * follow the wire keys in camelCase; byte fields stay bytes, exactly as on the wire.
 */

/** Protocol states of a node in memberlist's table; the numbers are pushNodeState.State on the wire. */
export type NodeStateKind = 'alive' | 'suspect' | 'dead' | 'left'
export const NODE_STATE_WIRE: Readonly<Record<NodeStateKind, number>> = { alive: 0, suspect: 1, dead: 2, left: 3 }
export const NODE_STATE_FROM_WIRE: readonly NodeStateKind[] = ['alive', 'suspect', 'dead', 'left']

export interface AliveMsg {
  incarnation: number
  node: string
  addr: Uint8Array
  port: number
  meta: Uint8Array
  /** [PMin, PMax, PCur, DMin, DMax, DCur]: 6 bytes, sent and accepted (spec §1.9, acceptance.ts vsnRule). */
  vsn: Uint8Array
}

export interface SuspectMsg {
  incarnation: number
  node: string
  from: string
}

/** `from === node` means a graceful leave. */
export interface DeadMsg {
  incarnation: number
  node: string
  from: string
}

/** One entry of a push/pull exchange. */
export interface PushNodeState {
  name: string
  addr: Uint8Array
  port: number
  meta: Uint8Array
  incarnation: number
  state: NodeStateKind
  vsn: Uint8Array
}

/** The version vector a Serf 0.9.4 agent advertises (observed, spec §0). */
export const DEFAULT_VSN: Uint8Array = Uint8Array.of(1, 5, 2, 2, 5, 5)

/**
 * The version vector we advertise: memberlist's supported range [1, 5], `protocolVersion` as PCur
 * (SwimConfig.protocolVersion, validated within that range), and the delegate part of DEFAULT_VSN.
 */
export function vsnFor(protocolVersion: number): Uint8Array {
  const v = Uint8Array.from(DEFAULT_VSN)
  v[2] = protocolVersion
  return v
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

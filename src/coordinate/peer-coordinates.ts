/**
 * The last coordinate heard from each peer (Serf's coordCache): set when a peer's ack carried a
 * coordinate the client accepted, dropped when the member is forgotten, and the source of RTT
 * estimates between any two members. Bounded (ours): past `maxPeers` the peer heard from least
 * recently is dropped and counted.
 */
import { cloneCoordinate, estimateRttMs, isCompatible } from './coordinate.ts'
import type { Coordinate } from './coordinate.ts'

export class PeerCoordinates {
  /** Node name → coordinate; Map order = least recently set first. */
  private readonly byNode = new Map<string, Coordinate>()
  private evicted = 0

  /** @param maxPeers coordinates kept at once (≥ 1) */
  constructor(private readonly maxPeers: number) {}

  set(node: string, c: Coordinate): void {
    if (!this.byNode.delete(node) && this.byNode.size >= this.maxPeers) {
      this.byNode.delete(this.byNode.keys().next().value as string)
      this.evicted++
    }
    this.byNode.set(node, cloneCoordinate(c))
  }

  /** A copy of `node`'s coordinate, or undefined when none is known. */
  get(node: string): Coordinate | undefined {
    const c = this.byNode.get(node)
    return c === undefined ? undefined : cloneCoordinate(c)
  }

  /** Drops `node`'s coordinate (the member was reaped or left). True when there was one. */
  forget(node: string): boolean {
    return this.byNode.delete(node)
  }

  /** Estimated RTT between `a` and `b` in ms, or null when either coordinate is unknown or they differ in dimensions. */
  estimateRttMs(a: string, b: string): number | null {
    const ca = this.byNode.get(a)
    const cb = this.byNode.get(b)
    if (ca === undefined || cb === undefined || !isCompatible(ca, cb)) return null
    return estimateRttMs(ca, cb)
  }

  /** Names with a coordinate, least recently set first. */
  nodes(): string[] {
    return [...this.byNode.keys()]
  }

  get size(): number {
    return this.byNode.size
  }

  /** Coordinates dropped to stay within maxPeers. */
  get evictions(): number {
    return this.evicted
  }
}

/**
 * Who plays which part in the demo's script, from the seed: pure, so the same seed always tells
 * the same story. node-1 starts first, serves the live page and never crashes or leaves (the page
 * stays up); the others are picked from the rest.
 */
import { createSeededRandom } from '../types/random.ts'

export interface DemoCast {
  /** node-1 .. node-N. */
  names: string[]
  /** Starts first (the others join it), serves the live page, stays to the end. */
  first: string
  /** Sends the user event. */
  sender: string
  /** Stopped without a leave, then restarted from its snapshot (unless the leader is crashed instead). */
  crashed: string
  /** Leaves gracefully at the end; never the crashed node. */
  leaver: string
}

export function castDemo(nodes: number, seed: number): DemoCast {
  const names = Array.from({ length: nodes }, (_, i) => `node-${i + 1}`)
  const random = createSeededRandom(seed)
  const others = random.shuffle(names.slice(1))
  return { names, first: names[0]!, sender: names[random.int(nodes)]!, crashed: others[0]!, leaver: others[1]! }
}

/** The leaver when `crashed` (the leader, with an election) may differ from the cast's choice. */
export function leaverBesides(cast: DemoCast, crashed: string): string {
  if (cast.leaver !== crashed) return cast.leaver
  return cast.names.find((n) => n !== cast.first && n !== crashed)!
}

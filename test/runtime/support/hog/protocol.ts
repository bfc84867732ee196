/** The hog: a fixture actor whose thread can report its heap caps and allocate until it dies. */
import type { ReplyTo } from '../../../../src/types/actor-env.ts'

/** The thread's `resourceLimits` as Node reports them inside it (MiB; {} when none were set). */
export interface HogLimits {
  maxYoungGenerationSizeMb?: number
  maxOldGenerationSizeMb?: number
}

export type HogIn =
  /** Tell: remember n (persisted, so a restarted thread starts from it). */
  | { type: 'hog.set'; n: number }
  /** Ask: n. */
  | { type: 'hog.get'; replyTo?: ReplyTo<number> }
  /** Ask: the heap caps this thread runs under. */
  | { type: 'hog.limits'; replyTo?: ReplyTo<HogLimits> }
  /**
   * Tell: keep `mb` MiB of live arrays in one turn, then let them go. Past the thread's
   * old-generation cap the thread dies; under it the turn ends normally.
   */
  | { type: 'hog.exhaust'; mb: number }

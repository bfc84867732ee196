/** The chatter: a fixture actor that logs what it is told to, at the level it is told. */
import type { ReplyTo } from '../../../../src/types/actor-env.ts'

export type ChatterIn =
  /** Tell: log `count` lines (default 1) at `level`, the i-th with message `${msg} ${i}` and field `i`. */
  | { type: 'chatter.say'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; msg: string; count?: number }
  /** Ask: answered once what was sent before it was handled. */
  | { type: 'chatter.ping'; replyTo?: ReplyTo<true> }

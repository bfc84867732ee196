/**
 * The runtime demo's three actors (`npm run demo`): ping and pong in worker threads, tally inline.
 * ping sends pings to pong; pong answers each one straight back over their own port pair; ping
 * reports the total to tally when every pong is back.
 */
import type { ActorAddress, ReplyTo } from '../../types/actor-env.ts'

export interface RunResult {
  pongs: number
  /** Actor-clock ms from the first ping to the last pong. */
  elapsedMs: number
}

export type PingIn =
  /** Ask: send `count` pings to `to`; answered when all pongs are back; then tell `tally`. */
  | { type: 'ping.start'; to: ActorAddress<PongIn>; tally: ActorAddress<TallyIn>; count: number; replyTo?: ReplyTo<RunResult> }
  | { type: 'ping.pong'; seq: number }

export type PongIn =
  | { type: 'pong.ping'; from: ActorAddress<PingIn>; seq: number }
  /** Ask: pings answered so far. */
  | { type: 'pong.count'; replyTo?: ReplyTo<number> }
  /** Tell: throw inside the machine (the supervisor restarts it from its persisted snapshot). */
  | { type: 'pong.crash' }

export type TallyIn = { type: 'tally.add'; from: string; n: number } | { type: 'tally.get'; replyTo?: ReplyTo<number> }

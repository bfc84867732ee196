/**
 * A hand-built ActorEnv for running one machine bare (xstate createActor) on a SimulatedClock:
 * records every send and reply so tests can assert on them. Its `ask` is the runtime's own
 * (createAsk): the request is recorded like a send (with its `replyTo`), an unknown target fails
 * with ERR_ACTOR_UNKNOWN, the timeout runs on the simulated clock, and a test answers with
 * `answer(token, value)`.
 */
import type { ActorEnv, Message, ReplyTo, SendStatus } from '../../../src/types/actor-env.ts'
import type { ActorId } from '../../../src/types/ids.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { createAsk } from '../../../src/runtime/env-ask.ts'

export interface Sent {
  to: string
  msg: Message
}

export function fakeEnv(id = 'actor', seed = 1, known?: readonly string[]) {
  const clock = new SimulatedClock()
  const sent: Sent[] = []
  const replies: Array<{ to: ReplyTo<unknown> | undefined; value: unknown }> = []
  const failures: Array<{ to: ReplyTo<unknown> | undefined; error: { code: string; message: string } }> = []
  const logs: Array<{ level: string; obj: object; msg?: string }> = []
  const log = (level: string) => (obj: object, msg?: string) => void logs.push(msg === undefined ? { level, obj } : { level, obj, msg })
  const send = (to: string, msg: Message): SendStatus => {
    if (known !== undefined && !known.includes(to)) return 'unknown'
    sent.push({ to, msg })
    return 'ok'
  }
  const asks = createAsk({ id, clock, send })
  const env: ActorEnv = {
    id: id as ActorId,
    node: 'n1',
    clock,
    random: createSeededRandom(seed),
    log: { trace: log('trace'), debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), isLevelEnabled: () => true },
    compute: { run: () => Promise.reject(new Error('no compute pool in tests')) },
    send,
    ask: asks.ask,
    whenReady: () => Promise.resolve(),
    reply<R>(to: ReplyTo<R> | undefined, value: R): void {
      replies.push({ to, value })
    },
    fail(to, error) {
      failures.push({ to, error })
    },
  }
  /** A reply token, as the runtime would put into an ask. */
  let cid = 0
  const ask = <R>(): ReplyTo<R> => ({ to: '$test', cid: ++cid }) as ReplyTo<R>
  /** The value replied to `token`. */
  const replyFor = <R>(token: ReplyTo<R>): R | undefined => replies.find((r) => r.to?.cid === token.cid)?.value as R | undefined
  const sentOf = <T extends string>(type: T) => sent.filter((s) => s.msg.type === type)
  /** Answers an ask the machine made (its request's `replyTo`), as the target would. */
  const answer = (token: ReplyTo<unknown> | undefined, value: unknown): void => {
    if (token !== undefined) asks.table.resolve(token.cid, value)
  }
  return { env, clock, sent, replies, failures, logs, ask, answer, replyFor, sentOf }
}

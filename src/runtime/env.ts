/** Builds the ActorEnv a machine factory receives, from the hosting thread's router. */
import type { ActorEnv, ActorAddress, ComputePort, LogPort, Message, ReplyTo, SendStatus } from '../types/actor-env.ts'
import type { ActorId } from '../types/ids.ts'
import type { ActorClock } from '../types/time.ts'
import type { RandomSource } from '../types/random.ts'
import type { WireError } from '../errors/cluster-error.ts'

/** How a thread routes what its actors send. */
export interface Router {
  send(from: string, to: string, msg: Message): SendStatus
  whenReady(to: string): Promise<void>
  reply(token: ReplyTo<unknown>, value: unknown): void
  fail(token: ReplyTo<unknown>, error: WireError): void
  compute: ComputePort
}

export function createEnv(parts: {
  id: string
  node: string
  clock: ActorClock
  random: RandomSource
  log: LogPort
  router: Router
}): ActorEnv {
  const { id, router } = parts
  return {
    id: id as ActorId,
    node: parts.node,
    clock: parts.clock,
    random: parts.random,
    log: parts.log,
    compute: router.compute,
    send: <M extends Message>(to: ActorAddress<M>, msg: M): SendStatus => router.send(id, to, msg),
    whenReady: (to: string): Promise<void> => router.whenReady(to),
    reply: <R>(to: ReplyTo<R> | undefined, value: R): void => {
      if (to !== undefined && to !== null) router.reply(to as ReplyTo<unknown>, value)
    },
    fail: (to: ReplyTo<unknown> | undefined, error: WireError): void => {
      if (to !== undefined && to !== null) router.fail(to, { code: String(error.code), message: String(error.message) })
    },
  }
}

export const realClock: ActorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
}

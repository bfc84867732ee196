/** Builds the ActorEnv a machine factory receives, from the hosting thread's router. */
import type { ActorEnv, ActorAddress, ComputePort, LogPort, Message, ReplyTo, SendStatus } from '../types/actor-env.ts'
import type { ActorId } from '../types/ids.ts'
import type { ActorClock } from '../types/time.ts'
import type { RandomSource } from '../types/random.ts'
import type { WireError } from '../errors/cluster-error.ts'
import { ActorStoppedError } from '../errors/runtime-errors.ts'
import type { AskTable } from './ask-table.ts'
import { createAsk } from './env-ask.ts'
import { createResourceSlots, type RuntimeResourceSlots } from './resource-slots.ts'

/** How a thread routes what its actors send. */
export interface Router {
  send(from: string, to: string, msg: Message): SendStatus
  whenReady(to: string): Promise<void>
  reply(token: ReplyTo<unknown>, value: unknown): void
  fail(token: ReplyTo<unknown>, error: WireError): void
  compute: ComputePort
  /** The mailbox bound toward `to` (for ERR_MAILBOX_FULL details); 0 when unknown. */
  capacity?(to: string): number
}

/** Each runtime-built env's own pending asks (replies addressed to the actor land here). */
const envAsks = new WeakMap<ActorEnv, AskTable>()

/** The ask table of an env built by createEnv (undefined for hand-built envs). */
export function asksOf(env: ActorEnv): AskTable | undefined {
  return envAsks.get(env)
}

/** Each runtime-built env's resource slots, with what the host reads back at stop. */
const envResources = new WeakMap<ActorEnv, RuntimeResourceSlots>()

/** The resource slots of an env built by createEnv (undefined for hand-built envs). */
export function resourcesOf(env: ActorEnv): RuntimeResourceSlots | undefined {
  return envResources.get(env)
}

/** Fails every pending ask of an env (its actor crashed, restarts or stops): no timer is left. */
export function failEnvAsks(env: ActorEnv): void {
  envAsks.get(env)?.failAll(() => new ActorStoppedError(env.id, { details: { reason: 'the asking actor stopped or restarted' } }))
}

export function createEnv(parts: {
  id: string
  node: string
  clock: ActorClock
  random: RandomSource
  log: LogPort
  router: Router
  /** Incarnation of the hosting thread (see AskParts.epoch); 0 for a first start and inline. */
  epoch?: number
}): ActorEnv {
  const { id, router } = parts
  const send = (to: string, msg: Message): SendStatus => router.send(id, to, msg)
  const resources = createResourceSlots((key, err) => parts.log.warn({ err, key }, 'resource release failed'))
  const { ask, table: asks } = createAsk({ id, clock: parts.clock, send, capacity: (to) => router.capacity?.(to) ?? 0, epoch: parts.epoch ?? 0 })
  const env: ActorEnv = {
    id: id as ActorId,
    node: parts.node,
    clock: parts.clock,
    random: parts.random,
    log: parts.log,
    compute: router.compute,
    send: <M extends Message>(to: ActorAddress<M>, msg: M): SendStatus => send(to, msg),
    whenReady: (to: string): Promise<void> => router.whenReady(to),
    reply: <R>(to: ReplyTo<R> | undefined, value: R): void => {
      if (to !== undefined && to !== null) router.reply(to as ReplyTo<unknown>, value)
    },
    fail: (to: ReplyTo<unknown> | undefined, error: WireError): void => {
      if (to !== undefined && to !== null) router.fail(to, { code: String(error.code), message: String(error.message) })
    },
    ask,
    resources,
  }
  envAsks.set(env, asks)
  envResources.set(env, resources)
  return env
}

export const realClock: ActorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
}

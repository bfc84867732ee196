export type { Brand, ActorId, NodeId, Incarnation, Seq, Term } from './ids.ts'
export { actorId, nodeId, incarnation, seq, term } from './ids.ts'
export type { EpochMs, ActorClock } from './time.ts'
export { seconds, minutes, hours } from './time.ts'
export type { RandomSource } from './random.ts'
export { createSeededRandom, hashLabel } from './random.ts'
export type {
  Message,
  ReplyTo,
  Request,
  ReplyOf,
  ActorAddress,
  SendStatus,
  RuntimeEvent,
  LogPort,
  ComputeTask,
  ComputePort,
  ActorEnv,
} from './actor-env.ts'
export { actorAddress, computeTask, RESTORED, SHUTDOWN } from './actor-env.ts'

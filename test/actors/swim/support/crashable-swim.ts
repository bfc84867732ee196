/**
 * The swim definition with a thread-exit hook, for restart tests in the worker placement: the real
 * machine, persist option and validation, hosted by support/crashable-swim-worker.ts on real
 * sockets whose dial to EXIT_ADDRESS ends the worker thread (`swim.join` to it is the trigger).
 * The system then restarts the thread from the last persisted record it holds.
 */
import { defineActor } from '../../../../src/runtime/define-actor.ts'
import { swim } from '../../../../actors/swim/definition.ts'

/** A `swim.join` to this address ends the swim worker's thread (exit code 1). */
export const EXIT_ADDRESS = '127.0.0.1:9'

export const crashableSwim = defineActor({
  name: swim.name,
  machine: swim.machine,
  worker: new URL('./crashable-swim-worker.ts', import.meta.url),
  ...(swim.persist === undefined ? {} : { persist: swim.persist }),
  ...(swim.validate === undefined ? {} : { validate: swim.validate }),
})

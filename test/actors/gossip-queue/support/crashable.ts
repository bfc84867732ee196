/**
 * The gossip-queue definition with a crash hook, for supervised-restart tests through the runtime
 * in both placements. The machine is the real one and the definition keeps the real `persist` and
 * `validate`; only the env it is built with differs: a `send` to CRASH throws inside the machine's
 * action (a machine crash, restarted in place by the host), and a `send` to EXIT_THREAD ends the
 * worker thread (restarted by the system from the last persisted record it holds).
 * The hook is reached the way a real send is: a broadcast whose `notify` names it, refused at
 * enqueue as empty, makes the queue notify at once.
 */
import { isMainThread } from 'node:worker_threads'
import { defineActor } from '../../../../src/runtime/define-actor.ts'
import type { ActorEnv } from '../../../../src/types/actor-env.ts'
import { gossipQueue } from '../../../../actors/gossip-queue/definition.ts'
import { createGossipQueueMachine } from '../../../../actors/gossip-queue/machine.ts'
import type { EnqueueMsg } from '../../../../actors/gossip-queue/protocol.ts'

export const CRASH = '$crash-gossip-queue'
export const EXIT_THREAD = '$exit-gossip-queue-thread'

function withCrashHook(env: ActorEnv): ActorEnv {
  return {
    ...env,
    send: (to, msg) => {
      if (to === CRASH) throw new Error('gossip-queue crashed on purpose (test hook)')
      if (to === EXIT_THREAD) {
        if (isMainThread) throw new Error('the thread-exit hook only runs in a worker thread')
        process.exit(1) // in a worker thread: ends this thread only
      }
      return env.send(to, msg)
    },
  }
}

/** The message that fires a hook: an empty broadcast (refused, counted) whose waiter is the hook. */
export function trigger(hook: typeof CRASH | typeof EXIT_THREAD): EnqueueMsg {
  return { type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: new Uint8Array(0), notify: { to: hook, id: 'hook' } } }
}

const spec = {
  name: 'gossip-queue',
  machine: (env: ActorEnv) => createGossipQueueMachine(withCrashHook(env)),
  worker: new URL('./crashable-worker.ts', import.meta.url),
  ...(gossipQueue.validate === undefined ? {} : { validate: gossipQueue.validate }),
}

/** With the real persist option of gossip-queue. */
export const crashableGossipQueue = defineActor({ ...spec, ...(gossipQueue.persist === undefined ? {} : { persist: gossipQueue.persist }) })

/** The control: the same actor without persisted snapshots (what the bug looked like). */
export const crashableVolatileGossipQueue = defineActor(spec)

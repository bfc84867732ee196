/** Thread entry of the hog fixture: the heap work is real here. */
import { resourceLimits } from 'node:worker_threads'
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import type { ActorEnv, ReplyTo } from '../../../../src/types/actor-env.ts'
import { hog } from './definition.ts'
import type { HogLimits } from './protocol.ts'

hostActor(hog, {
  provide: (env: ActorEnv) => ({
    actions: {
      reportLimits: (_: unknown, params: { replyTo: ReplyTo<HogLimits> | undefined }) => env.reply(params.replyTo, { ...resourceLimits }),
      exhaust: (_: unknown, params: { mb: number }) => {
        // 512 KiB of unboxed doubles per array (2^16 x 8 bytes, short enough to stay a fast array)
        // on the V8 heap (a typed array's bytes live outside it, where the heap caps do not reach),
        // all live until the loop ends.
        const held: number[][] = []
        for (let i = 0; i < params.mb * 2; i++) held.push(new Array<number>(1 << 16).fill(i + 0.5))
        held.length = 0
      },
    },
  }),
})

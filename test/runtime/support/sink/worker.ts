/**
 * Thread entry of the sink fixture: measures, in items handled, how long this thread's own
 * setImmediate and fs callbacks wait while messages keep arriving.
 */
import { stat } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { sink } from './definition.ts'
import type { SinkMeter } from './machine.ts'

const self = fileURLToPath(import.meta.url)
/**
 * Work per item (µs, busy): slower than the producer's send, as a real consumer (a snapshot writer)
 * is, so the producer is never the bottleneck and the port queue stays full.
 */
const WORK_US = 5
const meter: SinkMeter = { n: 0, maxImmediateGap: 0, maxFsGap: 0, immediates: 0, fsCallbacks: 0 }
/** Items handled when the pending setImmediate / fs.stat was started (-1: none pending). */
let immediateFrom = -1
let fsFrom = -1

hostActor(sink, {
  provide: (env) => ({
    actions: {
      observe: () => {
        const until = performance.now() + WORK_US / 1000
        while (performance.now() < until) {
          // busy on purpose: the consumer's work per item
        }
        meter.n++
        if (immediateFrom < 0) {
          immediateFrom = meter.n
          setImmediate(() => {
            meter.maxImmediateGap = Math.max(meter.maxImmediateGap, meter.n - immediateFrom)
            meter.immediates++
            immediateFrom = -1
          })
        }
        if (fsFrom < 0) {
          fsFrom = meter.n
          stat(self, () => {
            meter.maxFsGap = Math.max(meter.maxFsGap, meter.n - fsFrom)
            meter.fsCallbacks++
            fsFrom = -1
          })
        }
      },
      report: (_: unknown, params: { replyTo: Parameters<typeof env.reply>[0] | undefined }) => {
        if (params.replyTo !== undefined) env.reply(params.replyTo, { ...meter })
      },
    },
  }),
})

/** Thread entry of the exit-hooked swim (support/crashable-swim.ts): real UDP/TCP, dial to EXIT_ADDRESS ends the thread. */
import { isMainThread } from 'node:worker_threads'
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { openNetTransport } from '../../../../actors/swim/io/node-net.ts'
import { swimIo } from '../../../../actors/swim/io/swim-io.ts'
import { crashableSwim, EXIT_ADDRESS } from './crashable-swim.ts'

hostActor(
  crashableSwim,
  swimIo(async (address, limits) => {
    const t = await openNetTransport(address, limits)
    return {
      get localAddress() {
        return t.localAddress
      },
      sendPacket: (to, bytes) => t.sendPacket(to, bytes),
      onPacket: (h) => t.onPacket(h),
      onStream: (h) => t.onStream(h),
      dialCallback: (to, ms, cb) => {
        if (to === EXIT_ADDRESS && !isMainThread) process.exit(1) // ends this thread only
        t.dialCallback(to, ms, cb)
      },
      close: () => t.close(),
      streamCounters: () => t.streamCounters(),
    }
  }),
)

/** Thread entry of the asker fixture. */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { asker } from './definition.ts'

hostActor(asker, {
  provide: () => ({
    actions: {
      killThread: () => {
        // An uncaught error in I/O code: the thread dies.
        setImmediate(() => {
          throw new Error('asker I/O failed')
        })
      },
    },
  }),
})

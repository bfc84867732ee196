/** Thread entry of the holder fixture (no I/O of its own). */
import { hostActor } from '../../../../src/runtime/worker-host.ts'
import { holder } from './definition.ts'

hostActor(holder, {})

import { hostActor } from '../../runtime/worker-host.ts'
import { pong } from './definitions.ts'

hostActor(pong)

import { hostActor } from '../../runtime/worker-host.ts'
import { ping } from './definitions.ts'

hostActor(ping)

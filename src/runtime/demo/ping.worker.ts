import { hostActor } from '../worker-host.ts'
import { ping } from './definitions.ts'

hostActor(ping)

import { hostActor } from '../worker-host.ts'
import { pong } from './definitions.ts'

hostActor(pong)

/** Opens the `nats` election backend: config checked, the bucket opened and checked (io/nats-kv.ts), the real clock unless one is given. */
import type { ActorClock } from '../../../src/types/time.ts'
import { realClock } from '../../../src/runtime/env.ts'
import { createNatsElectionConfig, type NatsElectionInit } from '../nats-config.ts'
import { NatsElectionBackend } from '../nats-backend.ts'
import { openNatsElectionKv } from './nats-kv.ts'

export async function createNatsElection(self: string, init: NatsElectionInit, options: { clock?: ActorClock } = {}): Promise<NatsElectionBackend> {
  const config = createNatsElectionConfig(init)
  const kv = await openNatsElectionKv(config)
  return new NatsElectionBackend(self, config, kv, options.clock ?? realClock)
}

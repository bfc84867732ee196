/**
 * The election compliance suite (compliance.ts) against the `nats` backend on a real
 * `nats-server -js` (loopback, temp store, 1 s lease). "Cut off" closes the leader's NATS
 * connection without releasing the key: the kill of its connection.
 */
import { afterAll, beforeAll } from 'vitest'
import { NatsServer } from '../../support/nats.ts'
import { ensureElectionBucket } from '../../../actors/election/io/nats-kv.ts'
import { createNatsElection } from '../../../actors/election/io/nats-election.ts'
import type { NatsElectionBackend } from '../../../actors/election/nats-backend.ts'
import { electionCompliance } from './compliance.ts'

const TTL = 1_000
let server: NatsServer
beforeAll(async () => {
  server = await NatsServer.start()
  await ensureElectionBucket([server.url], 'elections', TTL)
}, 20_000)
afterAll(async () => {
  await server?.stop()
})

let n = 0
electionCompliance('nats', {
  leaseMs: TTL,
  create: (self) => createNatsElection(self, { servers: [server.url], bucket: 'elections', ttlMs: TTL }),
  cut: async (backend) => {
    await (backend as NatsElectionBackend).kv.close()
  },
  group: () => `g${++n}`,
})

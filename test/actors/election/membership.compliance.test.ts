/**
 * The election compliance suite (compliance.ts) against the `membership` backend: real election
 * actors (inline, real clock, 1 s lease) whose swim is a stand-in carrying the real encoded
 * Gossamer envelopes between them (support/membership-cluster.ts). "Cut off" drops everything to
 * and from the node: its lease runs out on its own timer while the others elect a new leader.
 */
import { afterAll, beforeAll } from 'vitest'
import { MembershipCluster } from '../../../bench/election/membership-cluster.ts'
import { electionCompliance } from './compliance.ts'

const LEASE = { leaseMs: 1_000, campaignTimeoutMs: 300, campaignJitterMs: 200, stepDownMarginMs: 100 }
let cluster: MembershipCluster
beforeAll(async () => {
  cluster = await MembershipCluster.start({ lease: LEASE })
})
afterAll(async () => {
  await cluster?.shutdown()
})

let n = 0
electionCompliance('membership', {
  leaseMs: LEASE.leaseMs,
  create: async (self) => {
    // A fresh incarnation of the node, reachable again.
    cluster.model.cut.delete(self)
    return cluster.add(self)
  },
  cut: async (backend) => {
    cluster.model.cut.add(backend.self)
  },
  group: () => `g${++n}`,
})

/**
 * What one packet costs swim's core at N members, and what carrying the node table in each turn's
 * state would add: the figures behind how swim's context should hold the table (issue 11).
 *
 * - ping in, ack out: SwimNode.onPacket of a ping, the ack filled from a 32-entry piggyback lease
 *   (pickForPacket) and encoded: swim's whole turn for a probe it answers, without the runtime.
 * - probe acked (coordinate update): Serf's ping delegate at an ack of our probe (decode the peer's
 *   coordinate, one Vivaldi update, cache both).
 * - alive refresh in: onPacket of an alive the node already knows (no membership change).
 * - table copy, shallow / deep: copying the N node records once, as a core whose state is copied
 *   every turn would (a Map of the records; the records themselves).
 * - persist projection / persist with table: the runtime's snapshot copy (detachSnapshot, run after
 *   every turn for swim: persist throttleMs 0) of today's context, and of the same context with the
 *   N records in it (a context that IS the core state, table included).
 *
 *   npx tsx bench/swim/packet-cost.ts [--members 1000] [--time 500] [--json]
 *
 * Prints a table (µs per op: median, mean, p99); with --json one JSON object as the last line of stdout.
 */
import { Bench } from 'tinybench'
import { createSwimConfig } from '../../actors/swim/config.ts'
import { DEFAULT_VSN } from '../../actors/swim/messages.ts'
import { assemblePacket } from '../../actors/swim/packets.ts'
import type { SwimPorts } from '../../actors/swim/ports.ts'
import { sendPacketRequest } from '../../actors/swim/send-pipeline.ts'
import { SwimNode } from '../../actors/swim/swim-node.ts'
import { leaseView } from '../../actors/swim/piggyback.ts'
import { redactKeys } from '../../actors/swim/swim-context.ts'
import { acceptLease, emptyLease, pickForPacket } from '../../src/broadcast/piggyback-lease.ts'
import type { LeaseMsg } from '../../actors/gossip-queue/protocol.ts'
import { detachSnapshot } from '../../src/runtime/snapshot-copy.ts'
import { encodeMessage } from '../../src/wire/memberlist.ts'
import { encodeCoordinatePayload } from '../../src/coordinate/coordinate-codec.ts'
import { newCoordinate } from '../../src/coordinate/coordinate.ts'
import { createCoordinateConfig } from '../../src/coordinate/config.ts'

const argv = process.argv.slice(2)
const num = (flag: string, dflt: number): number => {
  const i = argv.indexOf(flag)
  const v = i >= 0 ? Number(argv[i + 1]) : dflt
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} must be an integer >= 1`)
  return v
}
const MEMBERS = num('--members', 1000)
const TIME_MS = num('--time', 500)

const ip = (i: number): Uint8Array => Uint8Array.of(10, (i >> 8) & 0xff, i & 0xff, 1)
const addrOf = (i: number): string => `10.${(i >> 8) & 0xff}.${i & 0xff}.1:7946`
const empty = new Uint8Array(0)
const config = createSwimConfig({}, 'lan')

// A lease of 32 Serf-sized broadcasts, as gossip-queue would push it under load.
const leaseMsg: LeaseMsg = {
  type: 'gossip.lease',
  epoch: 1,
  version: 1,
  appliedReport: 0,
  limits: { memberlist: 12, 'serf-intent': 12, 'serf-query': 12, 'serf-event': 12 },
  entries: Array.from({ length: 32 }, (_, i) => ({ id: i + 1, queue: 'serf-event' as const, message: new Uint8Array(60).fill(i), transmits: i % 4, seq: i })),
  leftOut: 0,
}
const lease = acceptLease(emptyLease(), leaseMsg)
let sentBytes = 0
let now = 0
let seed = 1
const ports: SwimPorts = {
  now: () => now,
  random: () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646,
  setTimer: () => {},
  cancelTimer: () => {},
  // The lease is not advanced: every op sees the same 32 candidates.
  sendPacket: (req) =>
    sendPacketRequest(req, {
      udpBufferSize: config.udpBufferSize,
      compress: config.enableCompression,
      fill: (o, l) => pickForPacket(lease, o, l).parts,
      emit: (_to, bytes) => {
        sentBytes += bytes.length
        return 'sent'
      },
    }),
  enqueueBroadcast: () => {},
  dial: () => {},
  localUserState: (_join, cb) => cb(empty),
  mergeRemoteUserState: () => {},
  emit: () => {},
}
const node = new SwimNode(config, { name: 'self', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 }, ports)
const alive = (i: number) => encodeMessage({ type: 'alive', Incarnation: 1, Node: `n${i}`, Addr: ip(i), Port: 7946, Meta: empty, Vsn: DEFAULT_VSN })
for (let i = 2; i <= MEMBERS; i++) node.onPacket(addrOf(i), assemblePacket([alive(i)], { compress: false, crc: false }))
if (node.table.size() !== MEMBERS) throw new Error(`table has ${node.table.size()} members, expected ${MEMBERS}`)

let seq = 0
const pingFrom = addrOf(2)
const refresh = assemblePacket([alive(3)], { compress: false, crc: false })
const records = Array.from(node.table.records())
const byName = new Map(records.map((r) => [r.name, r]))
const context = {
  config: redactKeys(config),
  counters: { ...node.counters },
  knownPeers: records.slice(1, 17).map((r) => node.addressOf(r)),
  lease: leaseView(lease),
  incarnation: 1,
  numNodes: MEMBERS,
}
const withTable = { ...context, table: records.map((r) => ({ ...r })) }
let sink = 0
/** A peer's ack payload: a coordinate 3 ms from the origin. */
const peerPayload = encodeCoordinatePayload({ ...newCoordinate(createCoordinateConfig({})), Vec: [0.003, 0, 0, 0, 0, 0, 0, 0] })

const bench = new Bench({ name: `swim core at ${MEMBERS} members`, time: TIME_MS })
bench
  .add('ping in, ack out (lease of 32)', () => {
    seq = (seq + 1) >>> 0
    node.onPacket(pingFrom, encodeMessage({ type: 'ping', SeqNo: seq, Node: 'self', SourceAddr: ip(2), SourcePort: 7946, SourceNode: 'n2' }))
    now++
  })
  // Serf's ping delegate at a probe's ack: decode the peer's coordinate, one Vivaldi update, cache it
  // (once per probe interval per node; our own ack payload is re-encoded at the next ack).
  .add('probe acked (coordinate update)', () => {
    seq = (seq + 1) >>> 0
    node.pingComplete('n2', peerPayload, 2 + (seq % 5))
  })
  .add('alive refresh in (no change)', () => node.onPacket(addrOf(3), refresh))
  .add('table copy, shallow (Map of records)', () => {
    sink += new Map(byName).size
  })
  .add('table copy, deep (every record)', () => {
    sink += records.map((r) => ({ ...r })).length
  })
  .add('persist projection (today)', () => {
    sink += (detachSnapshot('swim', context) as object) === context ? 0 : 1
  })
  .add('persist with table', () => {
    sink += (detachSnapshot('swim', withTable) as object) === withTable ? 0 : 1
  })

await bench.run()
const rows = bench.tasks.map((t) => {
  const r = t.result
  const done = r.state === 'completed'
  const us = (ms: number | undefined): number | null => (done && ms !== undefined ? Math.round(ms * 1000 * 100) / 100 : null)
  return { task: t.name, p50Us: us(done ? r.latency.p50 : undefined), meanUs: us(done ? r.latency.mean : undefined), p99Us: us(done ? r.latency.p99 : undefined) }
})
console.log(`swim core at ${MEMBERS} members (${TIME_MS} ms per task)`)
console.log('| task | p50 µs | mean µs | p99 µs |')
console.log('|:--|---:|---:|---:|')
for (const r of rows) console.log(`| ${r.task} | ${r.p50Us} | ${r.meanUs} | ${r.p99Us} |`)
const summary = {
  bench: 'swim-packet-cost',
  members: MEMBERS,
  timeMsPerTask: TIME_MS,
  p50Us: Object.fromEntries(rows.map((r) => [r.task, r.p50Us])),
  meanUs: Object.fromEntries(rows.map((r) => [r.task, r.meanUs])), packetsSent: node.counters.packetsSent, sink: sink + sentBytes > 0 }
if (argv.includes('--json')) console.log(JSON.stringify(summary))

/**
 * Wire codec benchmark: encode + decode of one compound UDP packet carrying 8 gossip messages
 * (3 alive, suspect, dead, and 3 Serf user messages: join, leave, user event), against
 * JSON.stringify + JSON.parse of the same data measured in the same run. Like for like: each wire
 * round trip encodes all 8 messages (the Serf ones too) and decodes all 8 (Serf payloads too), as
 * JSON.stringify serialises and JSON.parse rebuilds all of them.
 *
 *   npm run bench:wire [-- --json] [-- --time 1000]
 *
 * Prints a table; with --json, one JSON object as the last line of stdout. The machine may be
 * shared, so figures are noisy: compare the ratio within one run, not absolute numbers across runs.
 */
import { Bench } from 'tinybench'
import { buildPacket, Keyring } from '../../src/wire/index.ts'
import { checkSameData, encodeAll, JSON_DATA, MESSAGES, sinkValue, wireRoundTrip } from './round-trip.ts'

const args = process.argv.slice(2)
const asJson = args.includes('--json')
const timeIdx = args.indexOf('--time')
const timeMs = timeIdx >= 0 ? Number(args[timeIdx + 1]) : 1000

checkSameData()
const ring = new Keyring([new Uint8Array(32).fill(1)])
const wirePacket = buildPacket(encodeAll())
const jsonText = JSON.stringify(JSON_DATA)
let sink = 0

const bench = new Bench({ name: 'wire: compound of 8 gossip messages, encode + decode', time: timeMs })
bench
  .add('wire encode+decode (compound)', () => wireRoundTrip({}))
  .add('JSON.stringify+parse (baseline)', () => {
    sink += (JSON.parse(JSON.stringify(JSON_DATA)) as unknown[]).length
  })
  .add('wire encode+decode (+CRC)', () => wireRoundTrip({ crc: true }))
  .add('wire encode+decode (+LZW try, CRC)', () => wireRoundTrip({ crc: true, compress: true }))
  .add('wire encode+decode (+CRC, AES-256-GCM)', () => wireRoundTrip({ crc: true, keyring: ring }))

await bench.run()
console.table(bench.table())

const ops: Record<string, number> = {}
for (const task of bench.tasks) {
  const r = task.result
  ops[task.name] = r.state === 'completed' ? Math.round(r.throughput.mean) : 0
}
const wireOps = ops['wire encode+decode (compound)'] ?? 0
const jsonOps = ops['JSON.stringify+parse (baseline)'] ?? 0
const summary = {
  bench: 'wire',
  messagesPerPacket: MESSAGES.length,
  opsPerSec: ops,
  wireVsJson: jsonOps > 0 ? Number((wireOps / jsonOps).toFixed(3)) : null,
  bytes: { wire: wirePacket.length, json: Buffer.byteLength(jsonText) },
  timeMsPerTask: timeMs,
  sink: sink + sinkValue() > 0,
}
if (asJson) console.log(JSON.stringify(summary))
else console.log(`wire ${wireOps} ops/s vs JSON ${jsonOps} ops/s (ratio ${summary.wireVsJson}); packet ${summary.bytes.wire} B vs JSON ${summary.bytes.json} B`)

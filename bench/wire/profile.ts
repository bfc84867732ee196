/**
 * Runs the wire benchmark's round trip (compound of 8 gossip messages, encode + decode) in a
 * loop, for a CPU profile, alternating blocks with the JSON baseline and timing each block in
 * process CPU time (not wall time), so that the printed ratio holds even on a busy machine:
 *
 *   node --import tsx --cpu-prof --cpu-prof-dir .tmp/prof bench/wire/profile.ts [blocks]
 */
import { checkSameData, JSON_DATA, sinkValue, wireRoundTrip } from './round-trip.ts'

checkSameData()
const blocks = Number(process.argv[2] ?? 20)
const PER_BLOCK = 10_000
let jsonSink = 0
function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const wireMs: number[] = []
const jsonMs: number[] = []
for (let b = 0; b < blocks; b++) {
  let t = cpuMs()
  for (let i = 0; i < PER_BLOCK; i++) wireRoundTrip({})
  wireMs.push(cpuMs() - t)
  t = cpuMs()
  for (let i = 0; i < PER_BLOCK; i++) jsonSink += (JSON.parse(JSON.stringify(JSON_DATA)) as unknown[]).length
  jsonMs.push(cpuMs() - t)
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const ops = (ms: number): number => Math.round((PER_BLOCK / ms) * 1000)
const w = median(wireMs)
const j = median(jsonMs)
console.log(`wire ${ops(w)} ops/s, JSON ${ops(j)} ops/s (CPU time, median of ${blocks} blocks of ${PER_BLOCK}): ratio ${(j / w).toFixed(3)} (sink ${sinkValue() + jsonSink > 0})`)

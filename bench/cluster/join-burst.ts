/**
 * Join bursts over many seeds, in the simulator (join-case.ts): a member that ran alone, then K - 1
 * fresh members joining it at once (bench:agents' join phase, without the CPU). Reports the
 * distribution of the time until every member lists every other alive, for the default config and
 * for memberlist's timing (swim.fastJoinPropagation and fastCrashDetection false).
 *
 *   npx tsx bench/cluster/join-burst.ts [--seeds 1-200] [--sizes 5,20] [--json]
 * Prints a table, and with --json one JSON object as the last line.
 */
import type { SwimInit } from '../../actors/swim/config.ts'
import { joinCase } from './join-case.ts'
import { flagValue, parseSeeds } from '../support/args.ts'
import { distribution } from '../support/distribution.ts'

const VARIANTS: Record<string, SwimInit> = {
  default: {},
  memberlist: { fastCrashDetection: false, fastJoinPropagation: false, probeOrder: 'shuffled' } as SwimInit,
}

function main(): void {
  const argv = process.argv.slice(2)
  const seeds = parseSeeds(flagValue(argv, '--seeds') ?? '1-200')
  const sizes = (flagValue(argv, '--sizes') ?? '5,20').split(',').map(Number)
  for (const k of sizes) if (!Number.isInteger(k) || k < 2) throw new Error('--sizes: integers >= 2')
  const started = performance.now()
  const results = sizes.flatMap((k) =>
    Object.entries(VARIANTS).map(([variant, swim]) => {
      const times: number[] = []
      let unconverged = 0
      let joinRounds = 0
      for (const seed of seeds) {
        const r = joinCase(k, seed, swim)
        if (r.convergedMs === undefined) unconverged++
        else times.push(r.convergedMs)
        joinRounds += r.joinRounds
      }
      return { k, variant, convergedS: distribution(times), unconverged, joinRoundsPerRun: Math.round((joinRounds / seeds.length) * 10) / 10 }
    }),
  )
  const out = { bench: 'join-burst', seeds: seeds.length, results, realS: Math.round(performance.now() - started) / 1000 }
  console.log(`join burst, LAN, 1 ms links, ${seeds.length} seeds (simulated s from the joins until all list all alive)`)
  console.log('  K | variant     | median    p90    max   mean | unconverged | join rounds / run')
  for (const r of results) {
    const d = r.convergedS
    console.log(`${String(r.k).padStart(3)} | ${r.variant.padEnd(11)} | ${[d.median, d.p90, d.max, d.mean].map((x) => String(x).padStart(6)).join(' ')} | ${String(r.unconverged).padStart(11)} | ${r.joinRoundsPerRun}`)
  }
  console.log(`\nreal time ${out.realS} s`)
  if (argv.includes('--json')) console.log(JSON.stringify(out))
}

main()

/**
 * npx tsx scripts/idle-node-rss.ts [--seconds S] [--dist] [--json]
 *
 * The resident memory of one idle node: swim, gossip-queue and member-manager, each in its own
 * worker thread (as in scripts/readme-cluster.ts), alone on loopback for S seconds (default 30).
 * RSS is sampled every second from the moment all three run; the figure that counts is the last
 * one (rssIdleMB), after the boot's garbage had S seconds to be collected.
 *
 * --dist loads the built package (npm run build first): the actors' threads then run the compiled
 * JS directly, with no TypeScript compiler in them, as an installed node does. Without it the
 * threads compile the sources as they load them (tsx, through src/runtime/boot.mjs).
 *
 * Prints a table, and with --json one JSON object as the last line:
 * {"mode","seconds","rssStartMB","rssPeakMB","rssIdleMB","heapUsedMB","threads"}
 * (threads: the process's OS threads at the end, from /proc/self/status; -1 where there is none).
 */
import { readFileSync } from 'node:fs'

interface Args {
  seconds: number
  dist: boolean
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const i = argv.indexOf('--seconds')
  const seconds = i < 0 ? 30 : Number(argv[i + 1])
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`--seconds must be an integer >= 1 (got ${argv[i + 1]})`)
  return { seconds, dist: argv.includes('--dist'), json: argv.includes('--json') }
}

const MB = 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function osThreads(): number {
  try {
    return Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? -1)
  } catch {
    return -1
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  // The same exports either way; --dist takes them from the build, whose worker entries are .js.
  const g = (args.dist ? await import(new URL('../dist/src/index.js', import.meta.url).href) : await import('../src/index.ts')) as typeof import('../src/index.ts')
  const name = 'idle-1'
  const system = await g.ActorSystem.start({ node: name, logLevel: 'silent' })
  const shape = { ...g.createSwimConfig({}, 'local'), encrypted: false }
  await system.spawn(g.gossipQueue, { id: 'gossip-queue', input: { config: g.gossipQueueConfigFor(shape) } })
  await system.spawn(g.memberManager, { id: 'member-manager', input: { config: { nodeName: name } }, dependsOn: ['gossip-queue'] })
  const node = await system.spawn(g.swim, { id: 'swim', input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local' }, dependsOn: ['gossip-queue', 'member-manager'] })
  for (;;) {
    const { value, context } = await node.getSnapshot()
    if (value === 'running') break
    if (value === 'failed') throw new Error(`swim: ${(context.bindError ?? context.configError)?.message}`)
    await sleep(10)
  }
  const rssStart = process.memoryUsage().rss
  let rssPeak = rssStart
  let rss = rssStart
  for (let s = 0; s < args.seconds; s++) {
    await sleep(1000)
    rss = process.memoryUsage().rss
    rssPeak = Math.max(rssPeak, rss)
  }
  const threads = osThreads()
  const heapUsed = process.memoryUsage().heapUsed
  const report = await system.shutdown({ drainTimeoutMs: 2000 })
  if (!report.clean) throw new Error('the node did not shut down cleanly')

  const out = {
    mode: args.dist ? 'dist' : 'source',
    seconds: args.seconds,
    rssStartMB: Math.round(rssStart / MB),
    rssPeakMB: Math.round(rssPeak / MB),
    rssIdleMB: Math.round(rss / MB),
    heapUsedMB: Math.round(heapUsed / MB),
    threads,
  }
  console.table({
    'mode (actor threads boot from)': out.mode,
    'idle seconds': out.seconds,
    'RSS start / peak / idle (MB)': `${out.rssStartMB} / ${out.rssPeakMB} / ${out.rssIdleMB}`,
    'system thread heap used (MB)': out.heapUsedMB,
    'OS threads': out.threads,
  })
  if (args.json) console.log(JSON.stringify(out))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})

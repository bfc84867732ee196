/**
 * Memory of a swim node under endless inbound streams (issue 10, item 7). A child process runs one
 * node (an ActorSystem with swim in its worker thread, real UDP/TCP on 127.0.0.1); this process
 * opens `--streams` TCP connections to it, each sending a plaintext push/pull header that declares
 * a user state just under the 20 MiB cap and then its bytes, 64 KiB at a time, without end (a
 * connection the node closes is opened again). The child's resident set size (VmRSS) is sampled
 * every 100 ms, before the flood (idle) and during it.
 *
 *   npx tsx bench/swim/stream-flood.ts [--streams 128] [--seconds 15] [--preset lan] [--budget-mib N] [--json]
 *
 * `--budget-mib` sets the node's config.streamBufferBudgetBytes (default: the preset's, 64 MiB).
 *
 * Prints a table; with --json one JSON object as the last line of stdout.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { swim } from '../../actors/swim/definition.ts'
import { encodePushPullStream } from '../../actors/swim/packets.ts'
import { MAX_PUSH_STATE_BYTES } from '../../src/wire/stream.ts'

const argv = process.argv.slice(2)
const arg = (flag: string, dflt: string): string => {
  const i = argv.indexOf(flag)
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt
}
const MiB = 1024 * 1024

if (argv.includes('--node')) await runNode(arg('--preset', 'lan'), Number(arg('--budget-mib', '0')))
else await runFlood()

/** The child: one swim node; prints READY <port>, answers "report" with its context, "exit" ends it. */
async function runNode(preset: string, budgetMiB: number): Promise<void> {
  const system = await ActorSystem.start({ node: 'flooded', logLevel: 'silent' })
  const ref = await system.spawn(swim, {
    id: 'swim',
    placement: 'worker',
    input: { name: 'flooded', addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: preset as 'lan', config: budgetMiB > 0 ? { streamBufferBudgetBytes: budgetMiB * MiB } : {} },
  })
  for (;;) {
    const s = await ref.getSnapshot()
    if (s.value === 'running') {
      process.stdout.write(`READY ${s.context.address.split(':')[1]}\n`)
      break
    }
    if (s.value === 'failed') throw new Error(`swim failed: ${JSON.stringify(s.context.bindError ?? s.context.configError)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'report') {
      const c = (await ref.getSnapshot()).context as unknown as Record<string, unknown>
      process.stdout.write(`REPORT ${JSON.stringify({ counters: c['counters'], streams: c['streams'] ?? null })}\n`)
    } else if (line === 'exit') {
      await system.shutdown({ drainTimeoutMs: 2_000 })
      process.exit(0)
    }
  }
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) * 1024
}

async function runFlood(): Promise<void> {
  const streams = Number(arg('--streams', '128'))
  const seconds = Number(arg('--seconds', '15'))
  const preset = arg('--preset', 'lan')
  const budgetMiB = arg('--budget-mib', '0')
  const json = argv.includes('--json')
  const self = fileURLToPath(import.meta.url)
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', self, '--node', '--preset', preset, '--budget-mib', budgetMiB], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  const waiters: Array<(line: string) => void> = []
  lines.on('line', (line) => waiters.shift()?.(line))
  const nextLine = () => new Promise<string>((resolve) => waiters.push(resolve))
  const ready = await nextLine()
  const port = Number(ready.split(' ')[1])
  if (!ready.startsWith('READY') || !Number.isInteger(port)) throw new Error(`node did not start: ${ready}`)
  const pid = child.pid!

  const sample = async (ms: number) => {
    let peak = 0
    let last = 0
    for (let t = 0; t < ms; t += 100) {
      last = rssBytes(pid)
      peak = Math.max(peak, last)
      await new Promise((r) => setTimeout(r, 100))
    }
    return { peak, last }
  }
  const idle = await sample(1_000)

  // A push/pull header declaring a user state just under the cap (the encoding's prefix before it).
  const userLen = MAX_PUSH_STATE_BYTES - 64 * 1024
  const header = encodePushPullStream(false, [], new Uint8Array(userLen), false).subarray(0, 64)
  const chunk = new Uint8Array(64 * 1024).fill(0x41)
  let bytesSent = 0
  let connects = 0
  let closedByNode = 0
  let flooding = true
  const open = new Set<Socket>()
  const flood = (): void => {
    if (!flooding) return
    const s = connect({ host: '127.0.0.1', port })
    connects++
    open.add(s)
    const pump = (): void => {
      while (flooding && !s.destroyed) {
        bytesSent += chunk.length
        if (!s.write(chunk)) return void s.once('drain', pump)
      }
    }
    s.on('connect', () => {
      s.write(header)
      pump()
    })
    s.on('error', () => {})
    s.on('close', () => {
      open.delete(s)
      if (!flooding) return
      closedByNode++
      setTimeout(flood, 10)
    })
  }
  for (let i = 0; i < streams; i++) flood()
  const during = await sample(seconds * 1_000)
  flooding = false
  for (const s of open) s.destroy()
  child.stdin!.write('report\n')
  let report = await nextLine()
  while (!report.startsWith('REPORT ')) report = await nextLine()
  const node = JSON.parse(report.slice(7)) as { counters: Record<string, number>; streams: Record<string, number> | null }
  child.stdin!.write('exit\n')
  await new Promise((r) => child.once('exit', r))

  const result = {
    streams,
    seconds,
    preset,
    budgetMiB: Number(budgetMiB) > 0 ? Number(budgetMiB) : 'default',
    idleRssMiB: +(idle.peak / MiB).toFixed(1),
    peakRssMiB: +(during.peak / MiB).toFixed(1),
    endRssMiB: +(during.last / MiB).toFixed(1),
    sentMiB: +(bytesSent / MiB).toFixed(0),
    connects,
    closedByNode,
    streamsTooLarge: node.counters['streamsTooLarge'] ?? 0,
    streamsDeclaredTooLarge: node.counters['streamsDeclaredTooLarge'] ?? null,
    streamsOverBudget: node.counters['streamsOverBudget'] ?? null,
    inboundStreamsTimedOut: node.counters['inboundStreamsTimedOut'] ?? 0,
    pushPullsRefused: node.counters['pushPullsRefused'] ?? 0,
    refusedAtAccept: node.streams?.['refusedAtAccept'] ?? null,
    peakBufferedMiB: node.streams === null ? null : +((node.streams['peakBufferedBytes'] ?? 0) / MiB).toFixed(1),
  }
  console.table(Object.entries(result).map(([k, v]) => ({ measure: k, value: v })))
  if (json) console.log(JSON.stringify(result))
}

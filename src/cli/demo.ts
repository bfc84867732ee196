/**
 * `gossamer demo`: the actor runtime at work. Two actors in worker threads (ping, pong) and one
 * inline (tally) exchange real messages; pong is crashed and restored; the system shuts down
 * cleanly and the process exits by itself.
 */
import type { CliIo } from './io.ts'
import { ActorSystem, type InspectionEvent } from '../runtime/index.ts'
import { ping, pong, tally } from './demo/definitions.ts'

export const summary = 'run the actor runtime demo (actors in worker threads exchanging messages)'

export async function run(argv: string[], io: CliIo): Promise<number> {
  // Pings go out in one burst: keep them within pong's backpressure ceiling (4 x 2048).
  const count = Math.min(8000, Number(argv[argv.indexOf('--pings') + 1]) || 5000)
  const started = Date.now()
  const system = await ActorSystem.start({ node: 'demo', logLevel: process.env['GOSSAMER_LOG_LEVEL'] ?? 'fatal' })
  const crashes: string[] = []
  system.on((e) => {
    if (e.type === 'actor.crashed') crashes.push(`${e.actor}: ${e.error.message}`)
  })
  try {
    const [pongRef, pingRef] = await Promise.all([system.spawn(pong, { id: 'pong' }), system.spawn(ping, { id: 'ping', dependsOn: ['pong', 'tally'] })])
    const tallyRef = await system.spawn(tally, { id: 'tally', placement: 'inline' })
    io.out(`gossamer runtime demo (node ${process.version}, pid ${process.pid})`)
    io.out(`  spawned ping and pong in worker threads, tally inline: ${Date.now() - started} ms`)

    for (const round of ['cold', 'warm']) {
      const result = await pingRef.ask({ type: 'ping.start', to: pongRef.id, tally: tallyRef.id, count }, { timeoutMs: 30_000 })
      io.out(`  ping -> pong (${round}): ${count} pings, ${result.pongs} pongs back over their own port pair in ${result.elapsedMs} ms`)
    }
    const total = await tallyRef.ask({ type: 'tally.get' })
    io.out(`  tally (inline) summed ping's reports: ${total} pongs`)

    const seen: InspectionEvent[] = []
    const stopInspecting = system.inspect((e) => seen.push(e))
    await system.sync() // every actor has switched inspection on
    await pingRef.ask({ type: 'ping.start', to: pongRef.id, tally: tallyRef.id, count: 2 })
    await tallyRef.ask({ type: 'tally.get' })
    await new Promise((resolve) => setTimeout(resolve, 50)) // worker inspection events arrive one turn later
    stopInspecting()
    const trace = seen.filter((e) => e.actor === 'ping').map((e) => `${e.event} -> ${JSON.stringify(e.state)}`)
    io.out(`  inspection of a 2-ping run: ${seen.length} transitions from ${[...new Set(seen.map((e) => e.actor))].sort().join(', ')}`)
    io.out(`    ping: ${trace.join(', ')}`)

    const beforeCrash = await pongRef.ask({ type: 'pong.count' })
    const restarted = new Promise<void>((resolve) => {
      const off = system.on((e) => {
        if (e.type === 'actor.started' && e.actor === 'pong' && e.restarts > 0) {
          off()
          resolve()
        }
      })
    })
    const crashAt = Date.now()
    pongRef.send({ type: 'pong.crash' })
    await restarted
    const afterCrash = await pongRef.ask({ type: 'pong.count' })
    io.out(`  crash: "${crashes[0] ?? 'none'}"; restarted in ${Date.now() - crashAt} ms, count restored: ${beforeCrash} -> ${afterCrash}`)
  } finally {
    const report = await system.shutdown({ drainTimeoutMs: 3000 })
    io.out(`  shutdown: ${report.clean ? 'clean' : `timed out at ${report.hung}`}, stopped ${report.stopped.join(', ')} in ${report.elapsedMs} ms`)
  }
  return 0
}

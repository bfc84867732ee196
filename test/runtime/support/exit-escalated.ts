/**
 * An actor that escalated inside its worker thread (the thread itself is fine), and one whose
 * thread died past its restart budget, then a shutdown: test/runtime/exit.test.ts checks that
 * the process exits by itself. A watchdog that holds nothing reports a thread kept alive; it waits
 * 30 s, as a loaded machine can take seconds to tear threads down, and nothing legitimate lasts that long.
 */
import { ActorSystem } from '../../../src/runtime/index.ts'
import { counter } from '../../fixtures/actors/counter/definition.ts'
import { asker } from './asker/definition.ts'

const system = await ActorSystem.start({ logLevel: 'silent', supervision: { maxRestarts: 0 } })
let escalated = 0
const both = new Promise<void>((resolve) => system.on((e) => e.type === 'actor.escalated' && ++escalated === 2 && resolve()))
const q = await system.spawn(asker, { id: 'q' })
const a = await system.spawn(counter, { id: 'a' })
const b = await system.spawn(counter, { id: 'b' })
a.send({ type: 'counter.crash' })
b.send({ type: 'counter.kill-thread' })
await both
const asked = await q.ask({ type: 'asker.ask', to: a.id, request: { type: 'counter.get' }, timeoutMs: 60_000 }).catch((e: { code: string }) => e.code)
const report = await system.shutdown({ drainTimeoutMs: 2000 })
console.log(JSON.stringify({ clean: report.clean, stopped: [...report.stopped].sort(), asked }))
setTimeout(() => {
  console.log(JSON.stringify({ alive: 'a thread or handle outlived the shutdown' }))
  process.exit(3)
}, 30_000).unref()

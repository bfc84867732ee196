/**
 * A silent node in its own process (workers placement): it starts, fails a join (swim logs a warn
 * in its thread), shows that warn in logs(), and shuts down. Its stdout must stay empty but for the
 * one line this script prints itself: `warn <subsystem> <message>` of the line it found.
 */
import { createServer } from 'node:net'
import { createNode } from '../../../src/node/create-node.ts'

const server = createServer()
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const port = (server.address() as { port: number }).port
await new Promise((r) => server.close(r))

const level = (process.argv[2] ?? 'silent') as 'silent' | 'info'
const node = await createNode({ name: 'quiet', bind: '127.0.0.1:0', profile: 'local', placement: 'workers', logLevel: level })
await node.join([`127.0.0.1:${port}`]).catch(() => undefined)
const ac = new AbortController()
const timer = setTimeout(() => ac.abort(), 10_000)
let found = ''
for await (const line of node.logs({ level: 'warn', signal: ac.signal })) {
  if (line.subsystem === 'swim' && line.message.includes('reached no member')) {
    found = `warn ${line.subsystem} ${line.message}`
    break
  }
}
clearTimeout(timer)
await node.shutdown()
process.stdout.write(`RESULT ${found}\n`)

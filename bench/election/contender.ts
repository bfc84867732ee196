/**
 * One contender process of bench:election: the nats backend for node `self`, standing for `group`.
 * Prints one JSON line per leader change (with `wall`, Date.now() when it was seen: the processes
 * share the machine's clock) to stdout. Commands on stdin, one per line: `resign` (prints
 * {"resignAt":..} just before resigning), `campaign`. Argv: self url bucket ttlMs group.
 */
import { createInterface } from 'node:readline'
import { createNatsElection } from '../../actors/election/io/nats-election.ts'

const [self, url, bucket, ttl, group] = process.argv.slice(2) as [string, string, string, string, string]
const backend = await createNatsElection(self, { servers: [url], bucket, ttlMs: Number(ttl) })
const out = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n')
void (async () => {
  for await (const c of backend.changes(group)) out({ ...c, wall: Date.now() })
})()
backend.campaign(group).catch(() => undefined)
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'resign') {
    out({ resignAt: Date.now() })
    void backend.resign(group)
  } else if (line === 'campaign') backend.campaign(group).catch(() => undefined)
})
process.stdin.once('end', () => void backend.close().then(() => process.exit(0)))
out({ ready: true, self })

/**
 * A contender in its own process (for kill -9 tests and the bench): campaigns for a group on the
 * nats backend and prints one JSON line per change to stdout. Argv: self url bucket ttlMs group.
 * Ends on SIGTERM (resigning) or when killed.
 */
import { createNatsElection } from '../../../../actors/election/io/nats-election.ts'

const [self, url, bucket, ttl, group] = process.argv.slice(2)
const backend = await createNatsElection(self!, { servers: [url!], bucket: bucket!, ttlMs: Number(ttl) })
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
void (async () => {
  for await (const c of backend.changes(group!)) out({ ...c, wall: Date.now() })
})()
backend.campaign(group!).catch(() => undefined)
out({ ready: true, self })
process.once('SIGTERM', () => {
  void backend.close().then(() => process.exit(0))
})

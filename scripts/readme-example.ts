import { createNode } from '../src/index.ts'

// Two nodes on loopback, each actor of each node in its own worker thread.
const local = { bind: '127.0.0.1:0', profile: 'local', logLevel: 'silent' } as const
const web = await createNode({ name: 'web-1', tags: { role: 'web' }, ...local })
const events = web.events({ filter: 'member-join,member-leave' })[Symbol.asyncIterator]()
const db = await createNode({ name: 'db-1', tags: { role: 'db' }, join: [web.address], ...local })
const seen = async () => {
  for (let e = await events.next(); !e.done; e = await events.next()) if ('members' in e.value && e.value.members[0]?.name === 'db-1') return `${e.value.type} ${e.value.members[0].name} ${e.value.members[0].status}`
}
console.log(await seen())
for (const m of await web.members()) console.log(`${m.name} ${m.status} role=${m.tags['role']}`)
await db.leave() // graceful: resolves once the others were told, then db-1 stops
console.log(await seen())
await web.shutdown()

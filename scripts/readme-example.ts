import { createNode } from '../src/index.ts'

// Two nodes on loopback, each actor of each node in its own worker thread.
const local = { bind: '127.0.0.1:0', profile: 'local', logLevel: 'silent' } as const
const web = await createNode({ name: 'web-1', tags: { role: 'web' }, ...local })
const events = web.events({ filter: 'member-join,member-leave,user' })[Symbol.asyncIterator]()
const db = await createNode({ name: 'db-1', tags: { role: 'db' }, join: [web.address], ...local })
const seen = async (type: string) => {
  for (let e = await events.next(); !e.done; e = await events.next()) {
    if (e.value.type === 'user' && type === 'user') return `user ${e.value.name} ${new TextDecoder().decode(e.value.payload!)}`
    const m = 'members' in e.value && e.value.type === type ? e.value.members.find((m) => m.name === 'db-1') : undefined
    if (m !== undefined) return `${type} ${m.name} ${m.status}`
  }
}
console.log(await seen('member-join'))
for (const m of await web.members()) console.log(`${m.name} ${m.status} role=${m.tags['role']}`)
await db.userEvent('deploy', new TextEncoder().encode('v2')) // gossiped to every member
console.log(await seen('user'))
await db.leave() // graceful: resolves once the others were told, then db-1 stops
console.log(await seen('member-leave'))
await web.shutdown()

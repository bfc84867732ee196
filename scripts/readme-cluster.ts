import { ActorSystem, createSwimConfig, gossipQueue, gossipQueueConfigFor, memberManager, swim } from '../src/index.ts'

// One node = one ActorSystem: gossip-queue, member-manager and swim, each in its own worker thread.
async function startNode(name: string, tags: Record<string, string>, join: string[]) {
  const system = await ActorSystem.start({ node: name, logLevel: 'silent' })
  const shape = { ...createSwimConfig({}, 'local'), encrypted: false }
  await system.spawn(gossipQueue, { id: 'gossip-queue', input: { config: gossipQueueConfigFor(shape) } })
  const members = await system.spawn(memberManager, { id: 'member-manager', input: { config: { nodeName: name, tags } }, dependsOn: ['gossip-queue'] })
  const node = await system.spawn(swim, {
    id: 'swim',
    input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', join },
    dependsOn: ['gossip-queue', 'member-manager'],
  })
  for (;;) {
    const { value, context } = await node.getSnapshot() // running once bound to its port
    if (value === 'running') return { system, members, address: context.address }
    if (value === 'failed') throw new Error(`${name}: ${(context.bindError ?? context.configError)?.message}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const web1 = await startNode('web-1', { role: 'web' }, [])
// web-1's member events as they happen: a subscription across threads, no sink actor, no polling.
const events = web1.members.events('member.event')[Symbol.asyncIterator]()
await web1.system.sync() // the subscription is on in member-manager's thread from here
const seen = async (kind: string, name: string) => {
  for (;;) {
    const next = await events.next()
    if (next.done === true) throw new Error('web-1 stopped')
    const m = next.value.members.find((m) => m.name === name)
    if (next.value.event === kind && m !== undefined) return `${kind} ${m.name} ${m.status} role=${m.tags['role']}`
  }
}
const db1 = await startNode('db-1', { role: 'db' }, [web1.address])
console.log(await seen('member-join', 'db-1'))
await db1.members.ask({ type: 'member.leave' }, { timeoutMs: 10_000 })
console.log(await seen('member-leave', 'db-1'))
await events.return?.()
for (const n of [db1, web1]) await n.system.shutdown({ drainTimeoutMs: 2000 })

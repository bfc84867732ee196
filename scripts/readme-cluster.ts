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
const db1 = await startNode('db-1', { role: 'db' }, [web1.address])

// Poll web-1's member table (a snapshot of member-manager's, the one table users see).
const view = async (until: (line: string) => boolean) => {
  for (;;) {
    const { members } = await web1.members.ask({ type: 'member.members' }, { timeoutMs: 2000 })
    const line = members.map((m) => `${m.name} ${m.status} role=${m.tags['role']}`).sort().join(', ')
    if (until(line)) return line
    await new Promise((r) => setTimeout(r, 20))
  }
}
console.log('joined:', await view((l) => l.includes('db-1 alive role=db')))
await db1.members.ask({ type: 'member.leave' }, { timeoutMs: 10_000 })
console.log('after leave:', await view((l) => l.includes('db-1 left')))
for (const n of [db1, web1]) await n.system.shutdown({ drainTimeoutMs: 2000 })

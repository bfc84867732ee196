import { ActorSystem, snapshotter, wire } from '../src/index.ts'

const system = await ActorSystem.start({ node: 'web-1', logLevel: 'silent' })
const snap = await system.spawn(snapshotter, { id: 'snapshotter', input: { path: process.argv[2] ?? 'web-1.snapshot' } })
snap.send({ type: 'snapshot.member-alive', name: 'web-2', addr: new Uint8Array([10, 0, 0, 2]), port: 7946 })
snap.send({ type: 'snapshot.clock', ltime: 42n })
console.log('durable:', await snap.ask({ type: 'snapshot.sync' }, { timeoutMs: 5000 }))
const ping = '0085a44e6f6465a27079a55365714e6f17aa536f7572636541646472a47f000001aa536f757263654e6f6465a161aa536f75726365506f7274cd461a'
console.log(JSON.stringify(wire.toJson(wire.decodePacket(wire.fromHex(ping)))))
console.log('shutdown:', (await system.shutdown({ drainTimeoutMs: 2000 })).clean)

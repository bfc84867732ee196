/**
 * swim machines on one SimulatedClock and one MemoryNetwork, each with a hand-built env that
 * records every message it sends by destination (member-manager, serf-events, ...), every reply
 * and every log line. gossip-queue is a LeaseProducer (as in machine.test.ts); member-manager
 * answers `member.local-state` and `member.local-meta` with empty bytes. Raw peers (`net.createTransport`)
 * can send datagrams and answer streams as a hostile or foreign node would.
 */
import { createActor } from 'xstate'
import type { Actor } from 'xstate'
import { createSwimMachine } from '../../../../actors/swim/machine.ts'
import type { SwimInput, SwimMachine } from '../../../../actors/swim/machine.ts'
import { swimIo } from '../../../../actors/swim/io/swim-io.ts'
import type { SwimInbound } from '../../../../actors/swim/protocol.ts'
import type { GossipQueueInbound } from '../../../../actors/gossip-queue/protocol.ts'
import type { LocalMetaReply, LocalStateReply } from '../../../../actors/member-manager/protocol.ts'
import { MemoryNetwork } from '../../../../src/transport/memory-network.ts'
import { SimulatedClock } from '../../../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../../../src/types/random.ts'
import { createResourceSlots } from '../../../../src/runtime/resource-slots.ts'
import type { ActorEnv, EnvAskOptions, LogPort, Message, ReplyOf, SendStatus } from '../../../../src/types/actor-env.ts'
import type { ActorId } from '../../../../src/types/ids.ts'
import { LeaseProducer } from './lease-producer.ts'

export interface MachineNode {
  actor: Actor<SwimMachine>
  address: string
  /** Every message sent to another actor, in order (member-manager's batches as they went). */
  sent: Array<{ to: string; msg: Message }>
  /** Messages sent to `to`, of `type` when given. */
  to(to: string, type?: string): Message[]
  replies: unknown[]
  logged: Array<{ level: string; obj: object; msg?: string }>
  /** Asks the actor (its reply comes back through env.reply). */
  ask<R>(msg: SwimInbound): R
}

export function machineNodes(seed = 1) {
  const clock = new SimulatedClock()
  const random = createSeededRandom(seed)
  const net = new MemoryNetwork({ clock, random: random.fork('net'), defaultLink: { latencyMs: 1 } })
  const nodes: MachineNode[] = []

  const add = (name: string, i: number, input: Partial<SwimInput> = {}): MachineNode => {
    let actor: Actor<SwimMachine> | undefined
    const queues = new LeaseProducer({ retransmitMult: 4, deliver: (to, msg) => void (to === env.id && queueMicrotask(() => actor?.send(msg))), answers: true })
    const sent: MachineNode['sent'] = []
    const replies: unknown[] = []
    const logged: MachineNode['logged'] = []
    const log: LogPort = {
      trace: () => {},
      debug: () => {},
      info: (obj, msg) => void logged.push({ level: 'info', obj, ...(msg === undefined ? {} : { msg }) }),
      warn: (obj, msg) => void logged.push({ level: 'warn', obj, ...(msg === undefined ? {} : { msg }) }),
      error: (obj, msg) => void logged.push({ level: 'error', obj, ...(msg === undefined ? {} : { msg }) }),
      isLevelEnabled: () => false,
    }
    const env: ActorEnv = {
      id: `swim-${name}` as ActorId,
      node: name,
      clock,
      random: random.fork(name),
      log,
      compute: { run: () => Promise.reject(new Error('no compute pool')) },
      resources: createResourceSlots(),
      send<M extends Message>(to: string, msg: M): SendStatus {
        if (to === env.id) {
          queueMicrotask(() => actor?.send(msg as never))
          return 'ok'
        }
        if (to === 'gossip-queue') queues.receive(msg as unknown as GossipQueueInbound)
        sent.push({ to, msg })
        return 'ok'
      },
      ask<M extends Message>(to: string, msg: M, _options: EnvAskOptions): Promise<ReplyOf<M>> {
        if (to === 'member-manager' && msg.type === 'member.local-state') {
          const reply: LocalStateReply = { type: 'member.local-state-reply', bytes: new Uint8Array(0) }
          return Promise.resolve(reply as ReplyOf<M>)
        }
        if (to === 'member-manager' && msg.type === 'member.local-meta') {
          const reply: LocalMetaReply = { type: 'member.local-meta-reply', meta: new Uint8Array(0) }
          return Promise.resolve(reply as ReplyOf<M>)
        }
        return Promise.reject(Object.assign(new Error(`no actor ${to}`), { code: 'ERR_UNKNOWN_ACTOR' }))
      },
      reply: (_to, value) => void replies.push(value),
      fail: (_to, error) => void replies.push({ failed: error }),
    }
    const machine = createSwimMachine(env).provide(swimIo((at) => net.createTransport(at)).provide(env))
    actor = createActor(machine, { clock, input: { name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, preset: 'lan', join: [], ...input } })
    actor.start()
    const node: MachineNode = {
      actor,
      address: `10.0.0.${i}:7946`,
      sent,
      to: (dest, type) => sent.filter((s) => s.to === dest && (type === undefined || s.msg.type === type)).map((s) => s.msg),
      replies,
      logged,
      ask: <R>(msg: SwimInbound): R => {
        const before = replies.length
        actor!.send({ ...msg, replyTo: { to: '$test', cid: before } } as never)
        if (replies.length !== before + 1) throw new Error(`${msg.type}: no reply in the same turn`)
        return replies[before] as R
      },
    }
    nodes.push(node)
    return node
  }

  const shutdown = (): void => {
    for (const n of nodes) if (n.actor.getSnapshot().status === 'active') n.actor.send({ type: 'runtime.shutdown' })
  }
  return { clock, net, add, shutdown }
}

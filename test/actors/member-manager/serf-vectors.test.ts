/**
 * MemberLayer fed with bytes captured from real serf 0.9.4 agents (test/fixtures/serf): a node that
 * observes every captured datagram must reach the agents' view (a graceful leave is `left`, not
 * `failed`; tag changes arrive as updates), and a captured push/pull user state merges as Serf does.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodePacket, decodeSerfMessage, decodeStream, flattenPacket } from '../../../src/wire/index.ts'
import type { GossipMessage, PushPullStream, SerfPushPull } from '../../../src/wire/index.ts'
import { MemberLayer } from '../../../actors/member-manager/member-layer.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import type { MemberEventMsg, MemberManagerOutbound, NodeInfo } from '../../../actors/member-manager/protocol.ts'
import { createSeededRandom } from '../../../src/types/random.ts'

interface Vector {
  id: string
  transport: 'udp' | 'tcp'
  role?: 'request' | 'reply'
  from: string | null
  to: string | null
  hex: string
}
interface Fixture {
  agents: Array<{ name: string; tags?: Record<string, string> }>
  actions: Array<Record<string, unknown>>
  vectors: Vector[]
}

const load = (name: string): Fixture => JSON.parse(readFileSync(new URL(`../../fixtures/serf/${name}.json`, import.meta.url), 'utf8')) as Fixture
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'))

function observer(name = 'observer') {
  const out: MemberManagerOutbound[] = []
  const layer = new MemberLayer(createSerfConfig({ nodeName: name }), {
    now: () => 0,
    random: createSeededRandom(1),
    emit: (m) => void out.push(m),
    enqueue: () => {},
    clusterSize: () => {},
    snapshot: () => {},
    schedulePrune: () => {},
  })
  layer.start()
  // The few memberlist rules needed to turn gossip into NotifyJoin/Update/Leave for the layer.
  const nodes = new Map<string, { inc: number; alive: boolean; meta: string }>()
  const info = (m: { Node: string; Addr: Uint8Array; Port: number; Meta: Uint8Array; Vsn: Uint8Array; Incarnation: number }): NodeInfo => ({
    name: m.Node,
    addr: m.Addr,
    port: m.Port,
    meta: m.Meta,
    vsn: m.Vsn,
    incarnation: m.Incarnation,
    state: 'alive',
  })
  const feed = (msg: GossipMessage): void => {
    if (msg.type === 'alive') {
      const known = nodes.get(msg.Node)
      const meta = Buffer.from(msg.Meta).toString('hex')
      if (known === undefined || !known.alive) {
        nodes.set(msg.Node, { inc: msg.Incarnation, alive: true, meta })
        layer.nodeJoined(info(msg))
      } else if (msg.Incarnation > known.inc) {
        const changed = known.meta !== meta
        nodes.set(msg.Node, { inc: msg.Incarnation, alive: true, meta })
        if (changed) layer.nodeUpdated(info(msg))
      }
    } else if (msg.type === 'dead') {
      const known = nodes.get(msg.Node)
      if (known?.alive === true && msg.Incarnation >= known.inc) {
        known.alive = false
        layer.nodeLeft({ name: msg.Node, addr: new Uint8Array(4), port: 0, meta: new Uint8Array(0), vsn: [0, 0, 0, 0, 0, 0], incarnation: msg.Incarnation, state: msg.From === msg.Node ? 'left' : 'dead' })
      }
    } else if (msg.type === 'user') {
      layer.userMessage(msg.Payload)
    }
  }
  const events = () => out.filter((m): m is MemberEventMsg => m.type === 'member.event').map((m) => `${m.event}:${m.members[0]!.name}`)
  return { layer, feed, events, out }
}

describe('MemberLayer on captured serf 0.9.4 traffic', () => {
  it('sees a graceful `serf leave` as left, not failed (leave.json)', () => {
    const fx = load('leave')
    const leaver = fx.actions.find((a) => a['action'] === 'leave')!['node'] as string
    const o = observer()
    for (const v of fx.vectors.filter((v) => v.transport === 'udp')) for (const m of flattenPacket(decodePacket(bytes(v.hex))).messages) o.feed(m)
    const { members, counts } = o.layer.members()
    expect(members.find((m) => m.name === leaver)?.status).toBe('left')
    expect(o.events()).toContain(`member-leave:${leaver}`)
    expect(o.events()).not.toContain(`member-failed:${leaver}`)
    for (const a of fx.agents.filter((a) => a.name !== leaver)) expect(members.find((m) => m.name === a.name)?.status).toBe('alive')
    expect(counts.total).toBe(fx.agents.length)
    expect(o.layer.stats().malformedMessages).toBe(0)
  })

  it('reads agent tags from captured Meta and reports a tag change as member-update (tags-update.json)', () => {
    const fx = load('tags-update')
    const change = fx.actions.find((a) => a['action'] === 'tags')!
    const o = observer()
    for (const v of fx.vectors.filter((v) => v.transport === 'udp')) for (const m of flattenPacket(decodePacket(bytes(v.hex))).messages) o.feed(m)
    const member = o.layer.members().members.find((m) => m.name === change['node'])
    expect(member?.tags).toEqual(change['tags'])
    const other = fx.agents.find((a) => a.name !== change['node'])!
    expect(o.layer.members().members.find((m) => m.name === other.name)?.tags).toEqual(other.tags ?? {})
  })

  it('merges a captured join push/pull user state like Serf (pushpull-state.json)', () => {
    const fx = load('pushpull-state')
    const reply = fx.vectors.find((v) => v.transport === 'tcp' && v.role === 'reply')!
    const stream = decodeStream(bytes(reply.hex)) as PushPullStream
    expect(stream.type).toBe('pushPull')
    const pp = decodeSerfMessage(stream.UserState) as SerfPushPull
    const o = observer(reply.to ?? 'c')
    for (const s of stream.NodeStates) {
      // memberlist merge: alive nodes join; left/dead ones do not (they become dead/suspect).
      if (s.State === 0) o.layer.nodeJoined({ name: s.Name, addr: s.Addr, port: s.Port, meta: s.Meta, vsn: s.Vsn, incarnation: s.Incarnation, state: 'alive' })
    }
    o.layer.mergeRemoteState(stream.UserState, stream.Join)

    expect(o.layer.clock.time()).toBeGreaterThanOrEqual(pp.LTime)
    for (const name of pp.LeftMembers ?? []) {
      // Unknown here (not alive in the node states): buffered as a leave one past its status time.
      expect(o.layer.intents.entry(name)).toMatchObject({ type: 'leave', ltime: (pp.StatusLTimes.get(name) ?? 0n) + 1n })
    }
    for (const [name, ltime] of pp.StatusLTimes) {
      if ((pp.LeftMembers ?? []).includes(name)) continue
      const rec = o.layer.table.get(name)
      if (rec !== undefined) expect(rec.statusLTime).toBe(ltime > 0n ? ltime : rec.statusLTime)
    }
    // The event part (a non-empty ring: `serf event deploy`) goes to serf-events, as decoded.
    expect(o.out.at(-1)).toMatchObject({ type: 'serf.merge-remote-events', join: stream.Join, eventLTime: pp.EventLTime, queryLTime: pp.QueryLTime, events: pp.Events })
    expect(o.layer.stats().malformedMessages).toBe(0)
  })
})

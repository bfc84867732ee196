/**
 * A three-node harness over the existing query cores (query-originator, query-responder) for the
 * internal-query modules: it runs, in memory, the exact calls the serf-events core makes, so the
 * flow tests show those calls end to end (query bytes → each node's responder → its answer →
 * Query.Respond → the originator's collector).
 */
import { closeQuery, createOriginator, originateQuery, receiveQueryResponse } from '../../../actors/serf-events/query-originator.ts'
import type { OriginatorContext, OriginatorState, QueryRequest } from '../../../actors/serf-events/query-originator.ts'
import { createResponder, handleQuery, respondToQuery } from '../../../actors/serf-events/query-responder.ts'
import type { ResponderContext, ResponderState } from '../../../actors/serf-events/query-responder.ts'
import type { QueryEventOut, QueryResultOut } from '../../../actors/serf-events/effects.ts'
import { decodeSerfMessage } from '../../../src/wire/serf.ts'
import type { SerfQuery, SerfQueryResponse } from '../../../src/wire/serf.ts'
import { config, emitted, member, ofType, rng } from './support.ts'

export interface SimNode {
  name: string
  addr: Uint8Array
  responder: ResponderState
}

/** What a node answers to an internal query it received (null: no answer). */
export type Answerer = (node: SimNode, q: QueryEventOut) => Uint8Array | null

export function simNodes(names: string[]): SimNode[] {
  return names.map((name, i) => ({ name, addr: Uint8Array.of(10, 0, 0, i + 1), responder: createResponder({ size: 512, clock: 1n, minTime: 0n }) }))
}

const members = (nodes: SimNode[]) => nodes.map((n, i) => member(n.name, i + 1))
const rctx = (nodes: SimNode[], n: SimNode, nowMs: number): ResponderContext => ({
  nowMs,
  self: { name: n.name, tags: {} },
  members: members(nodes),
  random: rng(7),
  config: config({ protocolVersion: 5 }),
})

/**
 * nodes[0] originates `req`; every node (the originator too, locally) handles it and answers
 * through `answer`; `lost` names nodes whose answer never arrives. Returns the originator's
 * collected results, in arrival order, and its final state after the deadline.
 */
export function runInternalQuery(nodes: SimNode[], req: QueryRequest, answer: Answerer, opts: { lost?: string[]; numMembers?: number } = {}): { results: QueryResultOut[]; originator: OriginatorState; query: SerfQuery } {
  const origin = nodes[0]!
  const octx: OriginatorContext = { ...rctx(nodes, origin, 1000), config: config({ protocolVersion: 5 }), self: { name: origin.name, tags: {}, addr: origin.addr, port: 7946 }, numMembers: opts.numMembers ?? nodes.length }
  const started = originateQuery(createOriginator(), origin.responder, req, octx)
  if (!started.ok) throw started.error
  let orig = started.originator
  origin.responder = started.responder
  const query = decodeSerfMessage(started.message) as SerfQuery
  const delivered: [SimNode, QueryEventOut][] = []
  for (const ev of emitted(started.effects)) if (ev.type === 'internal-query') delivered.push([origin, ev])
  for (const n of nodes.slice(1)) {
    const r = handleQuery(n.responder, query, started.message, rctx(nodes, n, 1000))
    n.responder = r.state
    for (const ev of emitted(r.effects)) if (ev.type === 'internal-query') delivered.push([n, ev])
  }
  const results: QueryResultOut[] = []
  for (const [n, ev] of delivered) {
    const payload = answer(n, ev)
    if (payload === null) continue
    const sent = respondToQuery(n.responder, { ltime: ev.ltime, id: ev.id, payload }, { ...rctx(nodes, n, 1100), localName: n.name })
    if (!sent.ok) throw sent.error
    n.responder = sent.state
    if (opts.lost?.includes(n.name)) continue
    for (const s of ofType(sent.effects, 'send')) {
      const got = receiveQueryResponse(orig, decodeSerfMessage(s.message) as SerfQueryResponse, 1200)
      orig = got.state
      for (const ev2 of emitted(got.effects)) if (ev2.type === 'query-result') results.push(ev2)
    }
  }
  orig = closeQuery(orig, query.LTime, 'deadline').state
  return { results, originator: orig, query }
}

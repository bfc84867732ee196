/**
 * The agent's response bodies and stream records as msgpack-ready values (serf-rpc.md §2-§4),
 * built from the GossamerNode API's types. Pure: no I/O, no clock (a log line's time is given).
 */
import type { Coordinate } from '../coordinate/index.ts'
import type { KeyResponse, LogLine, Member, NodeEvent, NodeStats, QueryResult } from '../node/api.ts'
import { F64 } from './values.ts'
import type { OutValue } from './values.ts'

export function memberRecord(m: Member): OutValue {
  return {
    Name: m.name,
    Addr: m.addr,
    Port: m.port,
    Tags: { ...m.tags },
    Status: m.status,
    ProtocolMin: m.protocolMin,
    ProtocolMax: m.protocolMax,
    ProtocolCur: m.protocolCur,
    DelegateMin: m.delegateMin,
    DelegateMax: m.delegateMax,
    DelegateCur: m.delegateCur,
  }
}

export function membersBody(members: readonly Member[]): OutValue {
  return { Members: members.map(memberRecord) }
}

/** A stream record for an event; query events carry the per-connection `id` given. */
export function eventRecord(event: NodeEvent, queryId: number): OutValue {
  switch (event.type) {
    case 'user':
      return { Event: 'user', LTime: event.ltime, Name: event.name, Payload: event.payload, Coalesce: event.coalesce }
    case 'query':
      return { Event: 'query', ID: queryId, LTime: event.ltime, Name: event.name, Payload: event.payload }
    default:
      return { Event: event.type, Members: event.members.map(memberRecord) }
  }
}

export function queryRecord(result: QueryResult | { type: 'done' }): OutValue {
  if (result.type === 'done') return { Type: 'done', From: '', Payload: null }
  if (result.type === 'ack') return { Type: 'ack', From: result.from, Payload: null }
  return { Type: 'response', From: result.from, Payload: result.payload }
}

/** The key response body; `Keys` only for list-keys (nil for the other three, as the agent). */
export function keyResponseBody(kr: KeyResponse | undefined, list: boolean): OutValue {
  const keys = list && kr?.keys !== undefined ? { ...kr.keys } : null
  return {
    Messages: { ...(kr?.messages ?? {}) },
    Keys: keys,
    NumNodes: kr?.numNodes ?? 0,
    NumErr: kr?.numErr ?? 0,
    NumResp: kr?.numResp ?? 0,
  }
}

/** The header Error of a finished key operation: failures first, then missing answers. */
export function keyResponseError(kr: KeyResponse): string {
  if (kr.numErr > 0) return `${kr.numErr}/${kr.numNodes} nodes reported failure`
  if (kr.numResp !== kr.numNodes) return `${kr.numResp}/${kr.numNodes} nodes reported success`
  return ''
}

export function coordinateBody(coord: Coordinate | undefined): OutValue {
  if (coord === undefined) return { Coord: { Vec: null, Error: new F64(0), Adjustment: new F64(0), Height: new F64(0) }, Ok: false }
  return {
    Coord: { Vec: coord.Vec.map((x) => new F64(x)), Error: new F64(coord.Error), Adjustment: new F64(coord.Adjustment), Height: new F64(coord.Height) },
    Ok: true,
  }
}

/** Figures of the process the agent runs in (Go's runtime section), gathered by the server. */
export interface RuntimeFacts {
  os: string
  arch: string
  version: string
  maxProcs: number
  threads: number
  cpuCount: number
}

/** `stats`: map str -> map str -> str, every leaf a string (serf-rpc.md §2.5). */
export function statsBody(stats: NodeStats, runtime: RuntimeFacts, eventHandlers: Readonly<Record<string, string>>, agent: Readonly<Record<string, string>> = {}): OutValue {
  const s = stats.serf
  return {
    // Serf's agent section holds the name only; an agent may add its own string facts after it.
    agent: { ...agent, name: stats.name },
    runtime: {
      os: runtime.os,
      arch: runtime.arch,
      version: runtime.version,
      max_procs: String(runtime.maxProcs),
      goroutines: String(runtime.threads),
      cpu_count: String(runtime.cpuCount),
    },
    serf: {
      members: String(s.members),
      failed: String(s.failed),
      left: String(s.left),
      health_score: String(s.healthScore),
      member_time: String(s.memberTime),
      event_time: String(s.eventTime),
      query_time: String(s.queryTime),
      intent_queue: String(s.intentQueue),
      event_queue: String(s.eventQueue),
      query_queue: String(s.queryQueue),
      encrypted: String(s.encrypted),
      coordinate_resets: String(s.coordinateResets),
    },
    tags: { ...stats.tags },
    event_handlers: { ...eventHandlers },
  }
}

/** Monitor levels in order, as the agent names them (an RPC client sends any case). */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERR'] as const
export type SerfLogLevel = (typeof LOG_LEVELS)[number]
const TO_NODE_LEVEL: Record<SerfLogLevel, LogLine['level']> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERR: 'error' }
const FROM_NODE_LEVEL: Record<LogLine['level'], SerfLogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERR' }

export function parseLogLevel(text: string): LogLine['level'] | undefined {
  const upper = text.toUpperCase() as SerfLogLevel
  return Object.hasOwn(TO_NODE_LEVEL, upper) ? TO_NODE_LEVEL[upper] : undefined
}

/** Whether `line` is at `min` or above. */
export function levelAtLeast(line: LogLine['level'], min: LogLine['level']): boolean {
  const order = ['trace', 'debug', 'info', 'warn', 'error']
  return order.indexOf(line) >= order.indexOf(min)
}

/** `YYYY/MM/DD HH:MM:SS [LEVEL] subsystem: message`, local time, as Go's log package writes it. */
export function formatLogLine(line: LogLine): string {
  const d = new Date(line.time)
  const p = (n: number): string => String(n).padStart(2, '0')
  const stamp = `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  return `${stamp} [${FROM_NODE_LEVEL[line.level]}] ${line.subsystem}: ${line.message}`
}

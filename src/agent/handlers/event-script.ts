/**
 * Serf's event handler specs (serf-rpc.md 7.1): `script` (every event), `member-join,member-leave=script`,
 * `user:deploy=script`, `query:load=script`, `*=script`. The spec splits at the first `=`; each
 * comma-separated filter becomes its own (filter, script) pair, and an invalid filter refuses the
 * whole config with `Invalid event script: Event 'foo' invoking 's.sh'`.
 */
import type { NodeEvent } from '../../node/api.ts'

export const EVENT_NAMES = ['member-join', 'member-leave', 'member-failed', 'member-update', 'member-reap', 'user', 'query', '*'] as const
export type EventFilterName = (typeof EVENT_NAMES)[number]

export interface EventScript {
  /** An event name or `*`; an invalid name is kept so it can be reported. */
  event: string
  /** `user:NAME` / `query:NAME`: only that name; '' any. */
  name: string
  script: string
}

/** One spec into its (filter, script) pairs; never throws (validate with `invalidScript`). */
export function parseEventScript(spec: string): EventScript[] {
  const eq = spec.indexOf('=')
  const filters = eq < 0 ? '*' : spec.slice(0, eq)
  const script = eq < 0 ? spec : spec.slice(eq + 1)
  return filters.split(',').map((f) => {
    if (f.startsWith('user:')) return { event: 'user', name: f.slice(5), script }
    if (f.startsWith('query:')) return { event: 'query', name: f.slice(6), script }
    return { event: f, name: '', script }
  })
}

/** Serf's EventScript.String(): `Event 'user:deploy' invoking 'd.sh'`. */
export function describeScript(s: EventScript): string {
  return s.name === '' ? `Event '${s.event}' invoking '${s.script}'` : `Event '${s.event}:${s.name}' invoking '${s.script}'`
}

/** The Serf message of the first invalid pair, or undefined when all are valid. */
export function invalidScript(scripts: readonly EventScript[]): string | undefined {
  const bad = scripts.find((s) => !(EVENT_NAMES as readonly string[]).includes(s.event))
  return bad === undefined ? undefined : `Invalid event script: ${describeScript(bad)}`
}

/** The type name of an event as in SERF_EVENT and the filters. */
export function eventTypeName(e: NodeEvent): string {
  return e.type
}

/** Serf's EventFilter.Invoke. */
export function scriptMatches(s: EventScript, e: NodeEvent): boolean {
  if (s.event === '*') return true
  if (s.event !== e.type) return false
  if (s.name === '') return true
  if (e.type === 'user' || e.type === 'query') return e.name === s.name
  return true
}

/** `stats`' `event_handlers` map: `"<event>:<name>"` -> script, a later duplicate wins. */
export function handlersStats(scripts: readonly EventScript[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const s of scripts) out[`${s.event}:${s.name}`] = s.script
  return out
}

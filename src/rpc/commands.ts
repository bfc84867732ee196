/**
 * The stateless commands of Serf's RPC (serf-rpc.md §3): each turns one decoded request into one
 * reply (header Error text plus the body the command always carries) by calling the node. A node
 * call that fails becomes the reply's Error text; nothing escapes. Commands that touch the
 * connection's state are the session's: handshake, auth and leave in session.ts; stream, monitor,
 * stop, query and respond in its stream registry, session-streams.ts.
 */
import type { GossamerNode } from '../node/api.ts'
import { checkBase64Key } from './base64.ts'
import { compileMemberFilter } from './filters.ts'
import { settle } from './outcome.ts'
import type { RequestBody } from './protocol.ts'
import { coordinateBody, keyResponseBody, keyResponseError, membersBody, statsBody } from './records.ts'
import type { RuntimeFacts } from './records.ts'
import type { OutValue } from './values.ts'

/** Serf's hard cap on user_event_size_limit, in bytes. */
const USER_EVENT_SANE_LIMIT = 9216

export interface CommandContext {
  node: GossamerNode
  userEventSizeLimit: number
  eventHandlers: Readonly<Record<string, string>>
  runtime(): RuntimeFacts
  /** More keys for `stats`' `agent` section (the agent's own facts, e.g. its tiering); absent: none. */
  agentStats?(): Readonly<Record<string, string>>
}

export type CommandReply =
  | { type: 'reply'; error: string; body?: OutValue }
  /** The agent closes the connection without a reply (a members-filtered regex that does not compile). */
  | { type: 'close'; reason: string }

export const STATELESS_COMMANDS = ['members', 'members-filtered', 'stats', 'list-keys', 'join', 'force-leave', 'tags', 'event', 'install-key', 'use-key', 'remove-key', 'get-coordinate'] as const
export type StatelessCommand = (typeof STATELESS_COMMANDS)[number]

export function isStateless(command: string): command is StatelessCommand {
  return (STATELESS_COMMANDS as readonly string[]).includes(command)
}

type Bodies = { [C in StatelessCommand]: C extends 'members' | 'stats' | 'list-keys' ? undefined : C extends keyof BodyMap ? BodyMap[C] : never }
type BodyMap = {
  'members-filtered': RequestBody<'members-filtered'>
  join: RequestBody<'join'>
  'force-leave': RequestBody<'force-leave'>
  tags: RequestBody<'tags'>
  event: RequestBody<'event'>
  'install-key': RequestBody<'install-key'>
  'use-key': RequestBody<'use-key'>
  'remove-key': RequestBody<'remove-key'>
  'get-coordinate': RequestBody<'get-coordinate'>
}

const reply = (error: string, body?: OutValue): CommandReply => (body === undefined ? { type: 'reply', error } : { type: 'reply', error, body })

export async function runStateless<C extends StatelessCommand>(command: C, raw: Bodies[C], ctx: CommandContext): Promise<CommandReply> {
  const node = ctx.node
  switch (command) {
    case 'members': {
      // Serf's members never fails; a node that is shutting down may: the body stays (empty).
      const r = await settle(node.members())
      return reply(r.ok ? '' : r.error, membersBody(r.ok ? r.value : []))
    }
    case 'stats': {
      const r = await settle(node.stats())
      return reply(r.ok ? '' : r.error, r.ok ? statsBody(r.value, ctx.runtime(), ctx.eventHandlers, ctx.agentStats?.()) : {})
    }
    case 'list-keys': {
      const kr = await settle(node.keys.list())
      return kr.ok ? reply(keyResponseError(kr.value), keyResponseBody(kr.value, true)) : reply(kr.error, keyResponseBody(undefined, true))
    }
    case 'members-filtered': {
      const b = raw as RequestBody<'members-filtered'>
      let match
      try {
        match = compileMemberFilter({ tags: b.Tags, status: b.Status, name: b.Name })
      } catch (err) {
        return { type: 'close', reason: `Failed to compile regex: ${(err as Error).message}` }
      }
      const r = await settle(node.members())
      return reply(r.ok ? '' : r.error, membersBody(r.ok ? r.value.filter(match) : []))
    }
    case 'join': {
      const b = raw as RequestBody<'join'>
      const r = await settle(node.join(b.Existing, { replay: b.Replay }))
      return reply(r.ok ? '' : r.error, { Num: r.ok ? r.value : 0 })
    }
    case 'force-leave': {
      const b = raw as RequestBody<'force-leave'>
      const r = await settle(node.forceLeave(b.Node, { prune: b.Prune }))
      return reply(r.ok ? '' : r.error)
    }
    case 'tags': {
      const b = raw as RequestBody<'tags'>
      const r = await settle(node.setTags(b.Tags, b.DeleteTags))
      return reply(r.ok ? '' : r.error)
    }
    case 'event': {
      const b = raw as RequestBody<'event'>
      const size = new TextEncoder().encode(b.Name).length + (b.Payload?.length ?? 0)
      if (size > ctx.userEventSizeLimit) return reply(`user event exceeds configured limit of ${ctx.userEventSizeLimit} bytes before encoding`)
      if (size > USER_EVENT_SANE_LIMIT) return reply(`user event exceeds sane limit of ${USER_EVENT_SANE_LIMIT} bytes before encoding`)
      const r = await settle(node.userEvent(b.Name, b.Payload, { coalesce: b.Coalesce }))
      return reply(r.ok ? '' : r.error)
    }
    case 'install-key':
    case 'use-key':
    case 'remove-key': {
      const key = (raw as RequestBody<'install-key'>).Key
      const bad = checkBase64Key(key)
      if (bad !== undefined) return reply(bad, keyResponseBody(undefined, false))
      const op = command === 'install-key' ? node.keys.install(key) : command === 'use-key' ? node.keys.use(key) : node.keys.remove(key)
      const kr = await settle(op)
      return kr.ok ? reply(keyResponseError(kr.value), keyResponseBody(kr.value, false)) : reply(kr.error, keyResponseBody(undefined, false))
    }
    case 'get-coordinate': {
      const r = await settle(node.coordinate((raw as RequestBody<'get-coordinate'>).Node))
      return reply('', coordinateBody(r.ok ? r.value : undefined))
    }
  }
  return reply(`command '${command}' is not stateless`)
}

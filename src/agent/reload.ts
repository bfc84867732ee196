/**
 * SIGHUP (serf-rpc.md 6.8): re-parse the original argv and re-read every config file and
 * directory; apply the log level, the event handlers (from the next event) and the tags; ignore
 * every other change. An invalid log level is reported and the old level kept; a config that does
 * not load otherwise prints `Failed to reload configs: <err>` and the old one stays. Unlike Serf, with a tags file the tags are re-read from that file (Serf applies
 * the config's empty tag set and so wipes the file's tags, spec 6.9's caveat).
 */
import { hostname as osHostname } from 'node:os'
import type { GossamerNode } from '../node/api.ts'
import { createAgentConfig, SERF_LOG_LEVELS } from './config/agent-config.ts'
import type { AgentConfig } from './config/agent-config.ts'
import { readConfigPaths } from './config/config-file.ts'
import { parseAgentCommandLine } from './config/flags.ts'
import { loadStartTags } from './config/persisted-files.ts'
import type { EventHandlers } from './handlers/event-handlers.ts'
import type { AgentLog } from './logs/agent-log.ts'

export interface ReloadContext {
  node: GossamerNode & { readonly tags: Readonly<Record<string, string>> }
  handlers: EventHandlers
  log: AgentLog
  say(line: string): void
  hostname?: (() => string) | undefined
}

export async function reloadConfig(argv: readonly string[], old: AgentConfig, ctx: ReloadContext): Promise<AgentConfig> {
  let next: AgentConfig
  let tags: Record<string, string>
  try {
    const cmd = parseAgentCommandLine(argv)
    const files = await readConfigPaths(cmd.configPaths)
    // As Serf: an invalid level is reported and the old one kept, the rest still applies.
    const level = (cmd.config.log_level || files.log_level || old.logLevel).toUpperCase()
    if (!(SERF_LOG_LEVELS as readonly string[]).includes(level)) {
      ctx.say(`Invalid log level: ${level}. Valid log levels are: [${SERF_LOG_LEVELS.join(' ')}]`)
      cmd.config.log_level = old.logLevel
    }
    next = createAgentConfig(files, cmd.config, (ctx.hostname ?? osHostname)()).config
    tags = await loadStartTags(next)
  } catch (err) {
    ctx.say(`Failed to reload configs: ${(err as Error).message}`)
    return old
  }
  ctx.log.setLevel(next.logLevel)
  ctx.handlers.setScripts(next.eventScripts)
  const current = ctx.node.tags
  const remove = Object.keys(current).filter((k) => !Object.hasOwn(tags, k))
  const changed = remove.length > 0 || Object.entries(tags).some(([k, v]) => current[k] !== v)
  if (changed) {
    try {
      await ctx.node.setTags(tags, remove)
    } catch (err) {
      ctx.log.err('agent', `Failed to update tags: ${(err as Error).message}`)
    }
  }
  return { ...old, logLevel: next.logLevel, eventScripts: next.eventScripts, eventHandlerSpecs: next.eventHandlerSpecs, tags }
}

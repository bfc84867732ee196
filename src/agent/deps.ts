/**
 * The real factories the agent runs with: createNode (src/node/create-node.ts) and the Serf RPC
 * server (src/rpc/server.ts). They are loaded by path at run time, not imported statically, so the
 * agent builds and is tested on its own with fakes; a build without them fails to start with a
 * coded error (ERR_AGENT_START, printed as Serf's `Failed to start the Serf agent: ...`) instead of
 * a module-not-found crash.
 */
import { AgentStartError } from './errors.ts'
import type { AgentDeps } from './run-agent.ts'

/** '.ts' when running from source (tsx, vitest), '.js' from dist/. */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'

async function load(rel: string, name: string): Promise<(...args: never[]) => unknown> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(new URL(`${rel}${EXT}`, import.meta.url).href)) as Record<string, unknown>
  } catch (err) {
    throw new AgentStartError(`Failed to load ${rel}${EXT} (${name}): ${(err as Error).message}`, err)
  }
  const fn = mod[name]
  if (typeof fn !== 'function') throw new AgentStartError(`${rel}${EXT} does not export a function ${name}`)
  return fn as (...args: never[]) => unknown
}

/**
 * The factories, each loaded when the agent first calls it: a bad command line or config is
 * reported (as Serf does) before anything is loaded.
 */
export function productionDeps(): AgentDeps {
  return {
    createNode: async (options) => ((await load('../node/create-node', 'createNode')) as unknown as AgentDeps['createNode'])(options),
    startRpcServer: async (options) => ((await load('../rpc/server', 'startRpcServer')) as unknown as AgentDeps['startRpcServer'])(options),
  }
}

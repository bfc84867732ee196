/**
 * The `gossamer agent` verb: Serf's `serf agent` (src/agent/run-agent.ts) with the real node and
 * RPC server. The process exit code is the agent's: 0 after a graceful leave, 1 otherwise.
 * V8's optimizing compiler is off until the agent is busy (tiering.ts): it is turned off before
 * the agent's modules load, so nothing the start runs gets optimized (`-tiering=off` turns it on
 * again as soon as the config is read). While it runs, a full garbage collection every 10 s keeps
 * an idle agent's heap from growing with promoted garbage (idle-gc.ts).
 */
import type { CliIo } from '../cli/io.ts'
import { createIdleGc } from './idle-gc.ts'
import { startLeanTiering } from './tiering.ts'

export const summary = "run a node with Serf's agent flags, config files, RPC, event handlers and metrics"

export async function run(argv: string[], io: CliIo): Promise<number> {
  const tiering = startLeanTiering()
  try {
    const [{ productionDeps }, { runAgent }] = await Promise.all([import('./deps.ts'), import('./run-agent.ts')])
    return await runAgent(argv, io, { ...productionDeps(), tiering, idleGc: createIdleGc() })
  } finally {
    tiering.stop()
  }
}

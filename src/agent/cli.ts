/**
 * The `gossamer agent` verb: Serf's `serf agent` (src/agent/run-agent.ts) with the real node and
 * RPC server. The process exit code is the agent's: 0 after a graceful leave, 1 otherwise.
 */
import type { CliIo } from '../cli/io.ts'
import { productionDeps } from './deps.ts'
import { runAgent } from './run-agent.ts'

export const summary = "run a node with Serf's agent flags, config files, RPC, event handlers and metrics"

export async function run(argv: string[], io: CliIo): Promise<number> {
  return runAgent(argv, io, productionDeps())
}

/**
 * The real factories the agent runs with: createNode (src/node/create-node.ts) and Serf's RPC
 * server (src/rpc/server.ts). Tests pass fakes to runAgent instead.
 */
import { createNode } from '../node/create-node.ts'
import { startRpcServer } from '../rpc/server.ts'
import type { AgentDeps } from './run-agent.ts'

export function productionDeps(): AgentDeps {
  return {
    createNode: (options) => createNode(options),
    startRpcServer: (options) => startRpcServer(options),
  }
}

/**
 * The agent's startup errors. Each carries the line Serf prints for the same failure
 * (serf-rpc.md 6.4) as its message, so `gossamer agent` prints `==> <message>` and exits 1 just
 * as `serf agent` does, while callers match on the stable `code`.
 */
import { ClusterError } from '../errors/index.ts'

/** Thrown when the command line cannot be parsed (Go's flag package wording). */
export class AgentFlagError extends ClusterError {
  static override name = 'AgentFlagError'
  constructor(message: string) {
    super('ERR_AGENT_FLAG', message)
  }
}

/**
 * Thrown when the merged config is refused (bad file, unknown key, wrong type, bad value, conflicting
 * settings). `message` is Serf's text without the `==> ` prefix; `details.field` names the key.
 */
export class AgentConfigError extends ClusterError {
  static override name = 'AgentConfigError'
  constructor(message: string, field?: string) {
    super('ERR_AGENT_CONFIG', message, field === undefined ? {} : { details: { field } })
  }
}

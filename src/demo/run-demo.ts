/**
 * `gossamer demo` from start to end: the cluster, the script, `--keep`, and the stop. Ctrl-C
 * (`interrupts`) ends the script or the kept cluster: every node leaves gracefully; a second
 * Ctrl-C stops them at once. An error stops everything too. Either way every node is shut down
 * (no worker thread, socket or timer stays) and the snapshot folder is removed, so the process
 * exits on its own.
 */
import { toWireError } from '../errors/index.ts'
import { ClusterView } from './cluster-view.ts'
import { DemoCluster, type DemoClusterDeps } from './demo-cluster.ts'
import type { DemoOptions } from './options.ts'
import { formatMs, playScript, type ScriptDeps } from './script.ts'

export interface DemoDeps extends DemoClusterDeps, Omit<ScriptDeps, 'say'> {
  out(line: string): void
  /** Calls `handler` on each Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void
}

/** Exit status: 0 the script ran and was seen (and, with --keep, Ctrl-C ended it); 1 a step was not seen or something failed; 130 interrupted during the script. */
export async function runDemo(o: DemoOptions, deps: DemoDeps): Promise<number> {
  const stop = new AbortController()
  const hurry = new AbortController()
  let interrupts = 0
  const offInterrupt = deps.onInterrupt(() => {
    interrupts++
    if (interrupts === 1) {
      deps.out('interrupted: every node leaves gracefully (Ctrl-C again to stop them at once)')
      stop.abort()
    } else hurry.abort()
  })
  const view = new ClusterView()
  const profile = o.fast ? 'local' : 'lan'
  const cluster = new DemoCluster(view, { profile, size: o.nodes }, deps)
  deps.out(`gossamer demo: ${o.nodes} nodes in this process on loopback, profile ${profile}, seed ${o.seed}`)
  let code = 0
  try {
    const end = await playScript(cluster, view, o, stop.signal, { now: deps.now, sleep: deps.sleep, deadline: deps.deadline, say: deps.out })
    if (!end.ok) code = end.reason === 'interrupted' ? 130 : 1
    else if (o.keep && !stop.signal.aborted) {
      deps.out(`keeping ${cluster.names().length} nodes running: Ctrl-C to stop`)
      await new Promise<void>((resolve) => {
        if (stop.signal.aborted) resolve()
        stop.signal.addEventListener('abort', () => resolve(), { once: true })
      })
    }
  } catch (err) {
    const wire = toWireError(err)
    deps.out(`error: ${wire.message} (${wire.code})`)
    code = 1
  } finally {
    const t = deps.now()
    const graceful = stop.signal.aborted
    const { stopped, errors } = await cluster.stopAll(graceful, hurry.signal)
    const how = graceful && !hurry.signal.aborted ? 'left and stopped' : 'stopped'
    deps.out(`stop: ${stopped} nodes ${how} in ${formatMs(deps.now() - t)}, every worker thread ended; snapshot folder removed`)
    for (const e of errors) deps.out(`  ${e}`)
    if (errors.length > 0 && code === 0) code = 1
    offInterrupt()
  }
  // After --keep, Ctrl-C is how the user ends it: that is a success (code stays 0).
  return code
}

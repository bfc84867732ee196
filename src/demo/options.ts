/**
 * `gossamer demo`'s options, checked in one place: `parseDemoArgs(argv)` returns them or throws
 * ERR_CLI_USAGE naming the flag. Flags take `--flag value` or `--flag=value`.
 */
import { ClusterError } from '../errors/index.ts'

/** Smallest and largest cluster the demo starts (3: a crash and a leave still leave an observer). */
export const MIN_NODES = 3
export const MAX_NODES = 9

export interface DemoOptions {
  /** How many nodes, MIN_NODES..MAX_NODES. Default 5. */
  nodes: number
  /** Picks who sends the user event, who crashes and who leaves. Default 1. */
  seed: number
  /** Keep the cluster running after the script until Ctrl-C. */
  keep: boolean
  /**
   * The short form: memberlist's 'local' timing profile (made for one host) and no pause between
   * steps. Default: the 'lan' profile a real deployment runs, and a pause after each step so the
   * live page can be followed.
   */
  fast: boolean
}

export const DEMO_USAGE = 'usage: gossamer demo [--nodes N] [--seed S] [--keep] [--fast]'

export const DEMO_HELP = `${DEMO_USAGE}

Starts a cluster of Gossamer nodes in this process (every actor in its own worker thread, on
loopback, snapshots in a temporary folder removed at the end), prints the live page's address
when this build has one, and plays a short script: joins, a user event, a leader election (when
this build has one), a crash seen as failed, a restart and rejoin from the snapshot, a graceful
leave. Each step prints what happened and how long it took. It ends by itself after the script.

  --nodes N   how many nodes, ${MIN_NODES} to ${MAX_NODES} (default 5)
  --seed S    picks who sends the event, who crashes and who leaves (default 1)
  --keep      keep the cluster running after the script; Ctrl-C stops it (nodes leave
              gracefully; a second Ctrl-C stops them at once)
  --fast      the short form: the 'local' timing profile and no pause between steps

exit status: 0 every step was seen as expected (with --keep: and Ctrl-C ended it); 1 a step was
not seen in time or a node failed to start; 2 usage error; 130 Ctrl-C before the script ended`

const DEFAULTS: DemoOptions = { nodes: 5, seed: 1, keep: false, fast: false }

function usageError(message: string): ClusterError {
  return new ClusterError('ERR_CLI_USAGE', `${message}\n${DEMO_USAGE}`)
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usageError(`${flag} must be an integer from ${min} to ${max} (got "${text}")`)
  return n
}

/** Parses the flags; throws ERR_CLI_USAGE (naming the flag) on anything it does not know. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions | 'help' {
  const o: DemoOptions = { ...DEFAULTS }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') return 'help'
    if (arg === '--keep' || arg === '--fast') {
      o[arg === '--keep' ? 'keep' : 'fast'] = true
      continue
    }
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    if (flag !== '--nodes' && flag !== '--seed') throw usageError(arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument "${arg}"`)
    const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined || value === '') throw usageError(`${flag} needs a value`)
    if (flag === '--nodes') o.nodes = integer(flag, value, MIN_NODES, MAX_NODES)
    else o.seed = integer(flag, value, 0, 0xffff_ffff)
  }
  return o
}

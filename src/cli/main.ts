#!/usr/bin/env node
/**
 * The `gossamer` command: dispatches to one module per verb (src/cli/<verb>.ts). Each verb module
 * exports `run(argv, io): Promise<number>` and returns the process exit code; errors it cannot
 * handle are printed with their code. Exit codes, for every verb: 0 success, 1 a runtime or
 * decoding error, 2 a usage error (an ERR_CLI_USAGE thrown by a verb). At the top level, as Serf's
 * CLI (mitchellh/cli): no command or an unknown one prints the usage on stderr and exits 127;
 * `--help`/`-h` prints it on stderr and exits 0; `-v`/`--version` is the `version` verb.
 * Verbs load lazily so `gossamer decode` does not start the actor runtime.
 */
import type { CliIo } from './io.ts'
import { processIo } from './io.ts'
import { toWireError } from '../errors/index.ts'

/** Exit status of a runtime or decoding error. */
export const EXIT_FAILURE = 1
/** Exit status of a usage error. */
export const EXIT_USAGE = 2
/** Exit status of no command or an unknown one: Serf's (the shell's "command not found"). */
export const EXIT_UNKNOWN_COMMAND = 127

type VerbModule = { run(argv: string[], io: CliIo): Promise<number>; summary: string }

const VERBS: Record<string, () => Promise<VerbModule>> = {
  // Each entry: verb name -> lazy import of its module. Keep alphabetical.
  agent: () => import('../agent/cli.ts'),
  assignments: () => import('./verbs/assignments.ts'),
  charts: () => import('./charts.ts'),
  decode: () => import('./decode.ts'),
  demo: () => import('./demo.ts'),
  event: () => import('./verbs/event.ts'),
  'force-leave': () => import('./verbs/force-leave.ts'),
  info: () => import('./verbs/info.ts'),
  join: () => import('./verbs/join.ts'),
  keys: () => import('./verbs/keys.ts'),
  leader: () => import('./verbs/leader.ts'),
  leave: () => import('./verbs/leave.ts'),
  members: () => import('./verbs/members.ts'),
  monitor: () => import('./verbs/monitor.ts'),
  query: () => import('./verbs/query.ts'),
  reachability: () => import('./verbs/reachability.ts'),
  rtt: () => import('./verbs/rtt.ts'),
  snapshot: () => import('./snapshot.ts'),
  tags: () => import('./verbs/tags.ts'),
  version: () => import('./verbs/version.ts'),
}

export function registeredVerbs(): string[] {
  return Object.keys(VERBS).sort()
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    io.err(await usage())
    return 0
  }
  const load = verb === '-v' || verb === '--version' ? VERBS['version'] : verb === undefined ? undefined : VERBS[verb]
  if (load === undefined) {
    io.err(await usage())
    return EXIT_UNKNOWN_COMMAND
  }
  try {
    const mod = await load()
    return await mod.run(rest, io)
  } catch (err) {
    const wire = toWireError(err)
    io.err(`gossamer ${verb}: ${wire.message} (${wire.code})`)
    return wire.code === 'ERR_CLI_USAGE' ? EXIT_USAGE : EXIT_FAILURE
  }
}

/** Serf's top-level help, with our verbs and their summaries. */
async function usage(): Promise<string> {
  const lines = ['Usage: gossamer [--version] [--help] <command> [<args>]', '', 'Available commands are:']
  for (const name of registeredVerbs()) {
    const mod = await VERBS[name]!()
    lines.push(`    ${name.padEnd(15)} ${mod.summary}`)
  }
  lines.push('', 'Each command takes -h for its own help. Exit status: 0 success, 1 a failure, 2 a usage error, 127 an unknown command.')
  return lines.join('\n')
}

// Run when executed directly (node dist/src/cli/main.js, tsx src/cli/main.ts, or the bin link).
const invokedAs = process.argv[1] ?? ''
if (/cli[\\/]main\.(ts|js)$/.test(invokedAs) || /gossamer$/.test(invokedAs)) {
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      const wire = toWireError(err)
      process.stderr.write(`gossamer: ${wire.message} (${wire.code})\n`)
      process.exitCode = 1
    },
  )
}

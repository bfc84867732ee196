#!/usr/bin/env node
/**
 * The `gossamer` command: dispatches to one module per verb (src/cli/<verb>.ts). Each verb module
 * exports `run(argv, io): Promise<number>` and returns the process exit code; errors it cannot
 * handle are printed with their code. Exit codes, for every verb: 0 success, 1 a runtime or
 * decoding error, 2 a usage error (no command, unknown command, an ERR_CLI_USAGE thrown by a verb).
 * Verbs load lazily so `gossamer decode` does not start the actor runtime.
 */
import type { CliIo } from './io.ts'
import { processIo } from './io.ts'
import { toWireError } from '../errors/index.ts'

/** Exit status of a runtime or decoding error. */
export const EXIT_FAILURE = 1
/** Exit status of a usage error. */
export const EXIT_USAGE = 2

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
}

export function registeredVerbs(): string[] {
  return Object.keys(VERBS).sort()
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv
  if (verb === undefined) {
    io.err(`gossamer: missing command (ERR_CLI_USAGE)\n\n${await usage()}`)
    return EXIT_USAGE
  }
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    io.out(await usage())
    return 0
  }
  const load = VERBS[verb]
  if (load === undefined) {
    io.err(`gossamer: unknown command "${verb}" (ERR_CLI_UNKNOWN_COMMAND)\n\n${await usage()}`)
    return EXIT_USAGE
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

async function usage(): Promise<string> {
  const lines = ['usage: gossamer <command> [options]   (gossamer <command> --help for its options)', '', 'commands:']
  for (const name of registeredVerbs()) {
    const mod = await VERBS[name]!()
    lines.push(`  ${name.padEnd(12)} ${mod.summary}`)
  }
  lines.push('', 'exit status: 0 success, 1 runtime or decoding error, 2 usage error')
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

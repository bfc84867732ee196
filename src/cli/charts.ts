/**
 * `gossamer charts [--actor NAME]... [--out DIR] [--format svg|html|json]`: draws each actor's
 * statechart from its definition, offline (src/inspect/): one SVG per actor, one HTML page with
 * all of them, or each chart's graph and layout as JSON. Without --actor, every known actor.
 *
 * Exit status: 0 written; 1 the output folder or a file could not be written (ERR_CHARTS_OUTPUT),
 * or a chart could not be built (ERR_CHARTS_MACHINE, ERR_CHARTS_LAYOUT: raised to main, exit 1);
 * 2 usage error (ERR_CLI_USAGE) or an unknown actor (ERR_CHARTS_UNKNOWN_ACTOR, listing the known).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { CliIo } from './io.ts'
import { ClusterError, toWireError } from '../errors/index.ts'
import { knownActors, UnknownChartActorError } from '../inspect/actor-catalog.ts'
import { stateCount } from '../inspect/chart-graph.ts'
import { CHART_FORMATS, type ChartFormat } from '../inspect/chart-types.ts'

export const summary = "draw every actor's statechart offline (SVG, one HTML page, or JSON)"

const USAGE = 'usage: gossamer charts [--actor NAME]... [--out DIR] [--format svg|html|json]'

const HELP = `${USAGE}

Draws each actor's statechart from its definition (states, nested states, initial and final
states, transitions with their events, guards and after delays, invoked and spawned children),
laid out with elkjs. Offline: nothing is fetched, now or when the files are opened.

  --actor NAME   an actor to draw (repeatable); default every one: ${knownActors().join(', ')}
  --out DIR      the folder to write into, created if missing (default: charts)
  --format F     svg: <actor>.svg each (default); html: one charts.html; json: <actor>.json each

exit status:
  0  the files were written
  1  the output folder or a file could not be written (ERR_CHARTS_OUTPUT), or a chart could
     not be built (ERR_CHARTS_MACHINE, ERR_CHARTS_LAYOUT)
  2  usage error, or an unknown actor (ERR_CHARTS_UNKNOWN_ACTOR)`

export interface ChartsArgs {
  actors: string[]
  out: string
  format: ChartFormat
}

function usageError(message: string): ClusterError {
  return new ClusterError('ERR_CLI_USAGE', `${message}\n${USAGE}`)
}

/** Parses the flags (`--flag value` or `--flag=value`); throws ERR_CLI_USAGE or ERR_CHARTS_UNKNOWN_ACTOR. */
export function parseChartsArgs(argv: readonly string[]): ChartsArgs | 'help' {
  const actors: string[] = []
  let out = 'charts'
  let format: ChartFormat = 'svg'
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') return 'help'
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    if (flag !== '--actor' && flag !== '--out' && flag !== '--format') throw usageError(arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument "${arg}"`)
    let value: string | undefined
    if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1)
    else value = argv[++i]
    if (value === undefined || value === '') throw usageError(`${flag} needs a value`)
    if (flag === '--actor') actors.push(value)
    else if (flag === '--out') out = value
    else if ((CHART_FORMATS as readonly string[]).includes(value)) format = value as ChartFormat
    else throw usageError(`--format must be one of ${CHART_FORMATS.join(', ')} (got "${value}")`)
  }
  const known = new Set(knownActors())
  for (const a of actors) if (!known.has(a)) throw new UnknownChartActorError(a)
  // Each actor once, in the order first named.
  return { actors: actors.length === 0 ? knownActors() : [...new Set(actors)], out, format }
}

/**
 * Creates `dir` and its missing parents one level at a time. Not `mkdir(dir, { recursive: true })`:
 * on a folder where mkdir answers ENOENT although the parent exists (under /proc), Node's recursive
 * mkdir retries forever; here each level is tried once, so a bad folder fails with its code.
 */
async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = []
  let at = resolve(dir)
  for (;;) {
    try {
      if ((await stat(at)).isDirectory()) break
      throw Object.assign(new Error(`${at} is not a folder`), { code: 'ENOTDIR' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    missing.push(at)
    const parent = dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
}

/** Writes the files; any failure is ERR_CHARTS_OUTPUT naming the path and the system's code. */
async function writeCharts(dir: string, files: ReadonlyArray<{ name: string; content: string }>): Promise<void> {
  let path = dir
  try {
    await makeFolder(dir)
    for (const f of files) {
      path = join(dir, f.name)
      await writeFile(path, f.content)
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
    throw new ClusterError('ERR_CHARTS_OUTPUT', `cannot write ${path}: ${code}`, { cause: err, details: { path, errno: code } })
  }
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let args: ChartsArgs | 'help'
  try {
    args = parseChartsArgs(argv)
  } catch (err) {
    const wire = toWireError(err)
    io.err(`gossamer charts: ${wire.message} (${wire.code})`)
    return 2
  }
  if (args === 'help') {
    io.out(HELP)
    return 0
  }
  // Loaded here, not at import: elkjs is a large bundle, and `gossamer --help` loads every verb.
  const { buildCharts, chartFiles } = await import('../inspect/charts.ts')
  const charts = await buildCharts(args.actors)
  const files = chartFiles(charts, args.format)
  try {
    await writeCharts(args.out, files)
  } catch (err) {
    const wire = toWireError(err)
    io.err(`gossamer charts: ${wire.message} (${wire.code})`)
    return 1
  }
  const dir = resolve(args.out)
  // drawn: transitions with a target, as arrows; the others are listed inside their state.
  io.out(`${'actor'.padEnd(20)} ${'states'.padStart(6)} ${'transitions'.padStart(11)} ${'drawn'.padStart(5)}`)
  for (const c of charts) {
    io.out(`${c.graph.actor.padEnd(20)} ${String(stateCount(c.graph)).padStart(6)} ${String(c.graph.transitions).padStart(11)} ${String(c.graph.edges.length).padStart(5)}`)
  }
  for (const f of files) io.out(`wrote ${join(dir, f.name)} (${Buffer.byteLength(f.content)} bytes)`)
  return 0
}

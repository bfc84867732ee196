/**
 * The bundled `gossamer` bin (scripts/bundle-cli.mjs, the last step of `npm run build`): the whole
 * build (tsc, no type check) into a private folder under .tmp/, then the bundle over its
 * dist/src/cli/main.js, then the bin run with node. The bundle exists for resident memory (one
 * module graph of a few chunks instead of ~340 modules); these tests check that it is one, and
 * that what a bundle could break still works: files named relative to a module (the actors'
 * worker entries, the version verb's package.json) and an agent in each placement.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freeGossipPort, freeTcpPort } from '../support/ports.ts'
import { runProcess, type ProcessResult } from '../support/run-process.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
let workDir = ''
let dist = ''

function runNode(args: string[], timeoutMs = 15_000): Promise<ProcessResult> {
  return runProcess(process.execPath, args, { cwd: ROOT, timeoutMs })
}

const bin = () => join(dist, 'src/cli/main.js')

beforeAll(async () => {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true })
  workDir = mkdtempSync(join(ROOT, '.tmp', 'bundle-test-'))
  dist = join(workDir, 'dist')
  writeFileSync(join(workDir, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'tsconfig.build.json'), compilerOptions: { noCheck: true, declaration: false, rootDir: ROOT, outDir: dist } }))
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  // Bounds only guard against a hang (the full compile took 20-45 s on a loaded machine).
  const build = await runNode([tsc, '-p', join(workDir, 'tsconfig.json')], 240_000)
  if (build.code !== 0) throw new Error(`tsc failed (${build.code}):\n${build.stdout}${build.stderr}`)
  const bundle = await runNode([join(ROOT, 'scripts/bundle-cli.mjs'), '--dist', dist], 120_000)
  if (bundle.code !== 0) throw new Error(`bundle-cli failed (${bundle.code}):\n${bundle.stdout}${bundle.stderr}`)
  const workers = await runNode([join(ROOT, 'scripts/bundle-workers.mjs'), '--dist', dist], 120_000)
  if (workers.code !== 0) throw new Error(`bundle-workers failed (${workers.code}):\n${workers.stdout}${workers.stderr}`)
}, 400_000)

afterAll(() => {
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true })
})

/**
 * Runs a workers agent from the test's build until its output satisfies `done` (or `graceMs` more
 * after `done` never held within 30 s), then stops it with SIGTERM; resolves with its output.
 */
async function agentUntil(flags: string[], done: (output: string) => boolean, graceMs = 0): Promise<string> {
  const gossip = `127.0.0.1:${await freeGossipPort()}`
  const rpc = `127.0.0.1:${await freeTcpPort()}`
  const agent = spawn(process.execPath, [bin(), 'agent', '-node=cached', `-bind=${gossip}`, `-rpc-addr=${rpc}`, '-placement=workers', ...flags], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  agent.stdout.setEncoding('utf8').on('data', (s: string) => (output += s))
  agent.stderr.setEncoding('utf8').on('data', (s: string) => (output += s))
  const exited = new Promise<void>((r) => agent.once('exit', () => r()))
  try {
    const deadline = Date.now() + 30_000
    while (!done(output) && Date.now() < deadline && agent.exitCode === null) await new Promise((res) => setTimeout(res, 100))
    if (graceMs > 0) await new Promise((res) => setTimeout(res, graceMs))
    return output
  } finally {
    agent.kill('SIGTERM')
    await exited
  }
}

/** Relative module specifiers a file loads: `require("./...")`, and ES `from "..."` / `import("...")` too. */
function relativeImports(file: string): string[] {
  const code = readFileSync(file, 'utf8')
  return [...code.matchAll(/(?:from\s*|import\s*\(\s*|import\s*|require\s*\(\s*)["'](\.[^"']+)["']/g)].map((m) => m[1]!)
}

describe('cli - the bundled gossamer bin', () => {
  it('is a bundle: the bin and its chunks import nothing of the package but each other', () => {
    const cliDir = join(dist, 'src/cli')
    const chunks = readdirSync(cliDir).filter((f) => f.startsWith('bundle-') && f.endsWith('.js'))
    expect(chunks.length).toBeGreaterThan(0)
    let links = 0
    for (const file of ['main.js', ...chunks]) {
      const specs = relativeImports(join(cliDir, file))
      for (const spec of specs) expect(spec, `${file} imports ${spec}`).toMatch(/^\.\/bundle-[\w-]+\.js$/)
      links += specs.length
    }
    // The walk itself works: the verbs' chunks are reached from main.js, and shared ones from them.
    expect(links).toBeGreaterThan(chunks.length)
  })

  it('is CommonJS: no import statement or import() (either would start Node\'s ES-module loader)', () => {
    const cliDir = join(dist, 'src/cli')
    // Typeless on purpose: Node reads the bin's .js files as CommonJS although the package is "type": "module".
    expect(JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8'))).not.toHaveProperty('type')
    const files = ['main.js', ...readdirSync(cliDir).filter((f) => f.startsWith('bundle-') && f.endsWith('.js'))]
    for (const file of files) {
      const code = readFileSync(join(cliDir, file), 'utf8')
      expect(code, file).toMatch(/^(#!.*\n)?"use strict";/)
      expect(code, file).not.toMatch(/(^|[;}\s])import(\s*[{*("'`]|\s+[\w$])|import\.meta|(^|[;}\s])export\s*[{*]/)
    }
  })

  it('the version verb still finds package.json (a file named relative to its module)', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const r = await runNode([bin(), 'version'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`Gossamer v${version}\nAgent Protocol: 5 (Understands back to: 2)\n`)
  })

  for (const placement of ['workers', 'inline'] as const) {
    it(`an agent with -placement=${placement} starts and lists itself alive through the bundled members verb`, async () => {
      const gossip = `127.0.0.1:${await freeGossipPort()}`
      const rpc = `127.0.0.1:${await freeTcpPort()}`
      // The code cache in the test's own folder, not the user's (its own test is below).
      const flags = [`-bind=${gossip}`, `-rpc-addr=${rpc}`, '-log-level=warn', `-placement=${placement}`, `-code-cache=${join(workDir, 'cache-' + placement)}`]
      const agent = spawn(process.execPath, [bin(), 'agent', '-node=bundled', ...flags], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      agent.stdout.setEncoding('utf8').on('data', (s: string) => (output += s))
      agent.stderr.setEncoding('utf8').on('data', (s: string) => (output += s))
      const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)))
      try {
        let listed: ProcessResult | undefined
        const deadline = Date.now() + 30_000
        while (Date.now() < deadline && agent.exitCode === null) {
          const r = await runNode([bin(), 'members', `-rpc-addr=${rpc}`, '-format=json'])
          if (r.code === 0) {
            listed = r
            break
          }
          await new Promise((res) => setTimeout(res, 200))
        }
        expect(listed, `agent output:\n${output}`).toBeDefined()
        const members = (JSON.parse(listed!.stdout) as { members: Array<{ name: string; status: string }> }).members
        expect(members.map((m) => [m.name, m.status])).toEqual([['bundled', 'alive']])
        expect(output).toContain(`Placement: ${placement}`)
      } finally {
        agent.kill('SIGTERM')
        await exited
      }
    }, 60_000)
  }

  it("a workers agent runs each actor from its bundle and keeps V8's code between starts (-code-cache)", async () => {
    const cacheDir = join(workDir, 'code-cache')
    const count = (text: string, what: string) => text.split(what).length - 1
    // First start: nothing to load; each of the four actor threads writes its file a few seconds in.
    const first = await agentUntil(['-log-level=debug', `-code-cache=${cacheDir}`], (out) => count(out, 'code cache written') >= 4)
    expect(count(first, 'code cache: none to load, compiled from source'), first).toBe(4)
    const files = readdirSync(cacheDir).sort()
    expect(files.map((f) => f.replace(/-[0-9a-f]{16}\.v8cache$/, ''))).toEqual(['gossip-queue', 'member-manager', 'serf-events', 'swim'])
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700)
    // Second start: V8 takes each thread's file.
    const second = await agentUntil(['-log-level=debug', `-code-cache=${cacheDir}`], (out) => count(out, 'code cache loaded') >= 4)
    expect(count(second, 'code cache rejected'), second).toBe(0)
    // -code-cache=off: the bundles run with no cache, and nothing is said of one.
    // (Past the first offer: 5 s after each thread's start, src/runtime/code-cache/code-cache.ts.)
    const off = await agentUntil(['-log-level=debug', '-code-cache=off'], (out) => out.includes('Serf agent running!'), 6_000)
    expect(off).toContain('[INFO] swim: Bound to 127.0.0.1:')
    expect(count(off, 'code cache')).toBe(0)
  }, 90_000)

  it('an inline agent loads neither the ES-module loader, node:module, node:fs/promises, node:worker_threads nor node:assert', async () => {
    // Each built-in module costs resident memory for its source and code (issue 13: 50 MB for an
    // inline agent). The bin is CommonJS, so Node's ES-module loader stays out unless something
    // asks for node:module (re2js is required through it only at the first filter) or import().
    // The bundle points pino's transport module at src/cli/no-log-transport.ts, loads sonic-boom's
    // assert only on a failed check and pino's isMainThread only for an asynchronous destination;
    // the runtime takes Worker from node:worker_threads only when it starts a thread; the agent's
    // file reads (tags, keyring, config files) take node:fs/promises at their first use.
    const gossip = `127.0.0.1:${await freeGossipPort()}`
    const rpc = `127.0.0.1:${await freeTcpPort()}`
    const preload = join(ROOT, 'test/cli/fixtures/report-builtins.cjs')
    const agent = spawn(process.execPath, ['-r', preload, bin(), 'agent', '-node=lean', `-bind=${gossip}`, `-rpc-addr=${rpc}`, '-log-level=warn', '-placement=inline'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    agent.stdout.setEncoding('utf8').on('data', (s: string) => (output += s))
    agent.stderr.setEncoding('utf8').on('data', (s: string) => (output += s))
    const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)))
    try {
      let listed = false
      const deadline = Date.now() + 30_000
      while (!listed && Date.now() < deadline && agent.exitCode === null) {
        listed = (await runNode([bin(), 'members', `-rpc-addr=${rpc}`])).code === 0
        if (!listed) await new Promise((res) => setTimeout(res, 200))
      }
      expect(listed, `agent output:\n${output}`).toBe(true)
      agent.kill('SIGUSR2')
      const line = async (): Promise<string> => {
        for (let i = 0; i < 100; i++) {
          const m = /^BUILTINS (.*)$/m.exec(output)
          if (m !== null) return m[1]!
          await new Promise((res) => setTimeout(res, 50))
        }
        throw new Error(`no BUILTINS line in:\n${output}`)
      }
      const builtins = JSON.parse(await line()) as string[]
      expect(builtins).toContain('dgram') // the walk itself works: the agent's socket module is there
      const unwanted = ['worker_threads', 'internal/worker', 'assert', 'module', 'internal/modules/esm/loader', 'internal/modules/esm/translators', 'internal/modules/esm/module_job', 'fs/promises', 'internal/fs/promises']
      expect(builtins.filter((m) => unwanted.includes(m))).toEqual([])
    } finally {
      agent.kill('SIGTERM')
      await exited
    }
  }, 60_000)
})
